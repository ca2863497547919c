/**
 * What `validate` finds from the columns each model produces, without data: the shapes come from
 * the engine's own binder (each SQL model created as a view over empty tables of its inputs, see
 * `unit-tests/model-shapes.ts`), so a check on a column the model does not produce, and a unit
 * test whose fixtures name columns their input does not have or lack columns the model reads, are
 * reported at `validate` with every other mistake, not one at a time by `check` or `test` later.
 * Nodes whose shape cannot be inferred (a source without declared types, a TypeScript model) are
 * left to those commands.
 */
import { closestMatch } from '../core/did-you-mean.js';
import { type Diagnostic, errorMessage } from '../core/errors.js';
import { compileSqlModel } from '../project/compile-model.js';
import type { Project, UnitTest, UnitTestFixture } from '../project/project.js';
import type { IsolatedWarehouseFactory, Warehouse } from '../warehouse/warehouse.js';
import { columnsOf, projectShapes, type Shapes } from './unit-tests/model-shapes.js';

/** A model reads at most this many columns its fixtures lack before the rest are left to `test`. */
const MAX_MISSING_COLUMNS = 50;

export async function shapeProblems(
  project: Project,
  openEngine: IsolatedWarehouseFactory,
): Promise<Diagnostic[]> {
  const shapes = await projectShapes(project, openEngine);
  const problems = checkColumnProblems(project, shapes);
  if (project.tests.length === 0) return problems;
  const warehouse = await openEngine();
  try {
    for (const [index, test] of project.tests.entries()) {
      problems.push(...(await fixtureProblems(warehouse, project, shapes, test, `slipway_t${index}`)));
    }
  } finally {
    await warehouse.close();
  }
  return problems;
}

/** Checks on a column their model or source does not produce. */
function checkColumnProblems(project: Project, shapes: Shapes): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const node of [...project.sources.values(), ...project.models.values()]) {
    const shape = shapes.get(node.name);
    if (!shape) continue;
    const names = shape.map((c) => c.name);
    const has = new Set(names.map((n) => n.toLowerCase()));
    for (const check of node.checks) {
      if (check.column === undefined || has.has(check.column.toLowerCase())) continue;
      problems.push({
        position: check.position,
        message: `${node.name} has no column '${check.column}' (its ${check.kind} check cannot run)`,
        hint: columnHint(check.column, names),
      });
    }
  }
  return problems;
}

/**
 * A test's fixtures against its inputs' shapes (columns the input does not have, every one) and
 * against its model (columns the model reads that no fixture has, every one: the model is bound
 * over empty fixture tables, and each column the binder misses is added and the binding retried).
 */
async function fixtureProblems(
  warehouse: Warehouse,
  project: Project,
  shapes: Shapes,
  test: UnitTest,
  schema: string,
): Promise<Diagnostic[]> {
  const model = project.models.get(test.model);
  if (model?.language !== 'sql') return [];
  const problems: Diagnostic[] = [];
  await warehouse.createSchema(schema);
  const tables = new Map<string, Map<string, string>>();
  for (const [input, fixture] of Object.entries(test.inputs)) {
    const columns = await fixtureColumns(warehouse, schema, input, fixture);
    const shape = shapes.get(input);
    const types = new Map(shape?.map((c) => [c.name.toLowerCase(), c.type]) ?? []);
    if (shape && columns.length > 0) {
      const wrong = columns.filter((c) => !types.has(c.toLowerCase()));
      if (wrong.length > 0) {
        problems.push({
          position: test.position,
          message: `test ${test.name}: the fixture for ${input} has ${wrong.length === 1 ? 'column' : 'columns'} ${quoted(wrong)}, which ${input} does not have`,
          hint: columnHint(
            wrong[0] as string,
            shape.map((c) => c.name),
          ),
        });
      }
    }
    // An input given no rows is created with all its known columns, as `test` does.
    const used = columns.length > 0 ? columns : [...types.keys()];
    tables.set(input, new Map(used.map((c) => [c, types.get(c.toLowerCase()) ?? 'VARCHAR'])));
  }
  const missing = await unboundColumns(warehouse, schema, model, tables, shapes);
  if (missing.length > 0) {
    problems.push({
      position: test.position,
      message: `test ${test.name}: ${test.model} reads ${missing.length === 1 ? 'column' : 'columns'} ${quoted(missing)}, which the fixtures of ${Object.keys(test.inputs).join(' / ') || '(none)'} do not have`,
      hint: `add ${missing.length === 1 ? 'it' : 'them'} to the fixture rows (or CSV header) of the input ${missing.length === 1 ? 'it belongs' : 'they belong'} to`,
    });
  }
  return problems;
}

async function fixtureColumns(
  warehouse: Warehouse,
  schema: string,
  input: string,
  fixture: UnitTestFixture,
): Promise<string[]> {
  if (fixture.csv === undefined) return [...new Set((fixture.rows ?? []).flatMap((r) => Object.keys(r)))];
  const ref = { schema, name: `${input}__csv` };
  try {
    await warehouse.files.createTableFromCsv(ref, fixture.csv, { allText: true });
  } catch {
    return []; // An unreadable CSV is `test`'s to report, with the reader's own message.
  }
  return (await columnsOf(warehouse, ref)).map((c) => c.name);
}

/** The columns the model reads that its fixture tables lack, found by binding it over them. */
async function unboundColumns(
  warehouse: Warehouse,
  schema: string,
  model: NonNullable<ReturnType<Project['models']['get']>>,
  tables: Map<string, Map<string, string>>,
  shapes: Shapes,
): Promise<string[]> {
  const missing: string[] = [];
  const rel = (name: string) => warehouse.quoteRelation({ schema, name });
  for (let attempt = 0; attempt <= MAX_MISSING_COLUMNS; attempt++) {
    for (const [input, columns] of tables) {
      const defs = [...columns].map(([c, t]) => `${warehouse.quoteIdentifier(c)} ${t}`);
      await warehouse.execute(`DROP TABLE IF EXISTS ${rel(input)}`);
      await warehouse.execute(
        `CREATE TABLE ${rel(input)} (${defs.length > 0 ? defs.join(', ') : 'slipway_none INTEGER'})`,
      );
    }
    try {
      await warehouse.createView({ schema, name: 'slipway_model' }, compileSqlModel(model, rel));
      return missing;
    } catch (error) {
      const column = missingColumn(errorMessage(error));
      if (column === undefined || missing.includes(column)) return missing;
      // Give the column to the input that has it (by its shape), else to the first input.
      const owner =
        [...tables.keys()].find((t) =>
          shapes.get(t)?.some((c) => c.name.toLowerCase() === column.toLowerCase()),
        ) ?? [...tables.keys()][0];
      if (owner === undefined) return missing;
      missing.push(column);
      const type =
        shapes.get(owner)?.find((c) => c.name.toLowerCase() === column.toLowerCase())?.type ?? 'VARCHAR';
      tables.get(owner)?.set(column, type);
    }
  }
  return missing;
}

/** The column a binder error names: DuckDB's `Referenced column "x" not found`, PostgreSQL's `column "x" does not exist`. */
export function missingColumn(message: string): string | undefined {
  return (
    /Referenced column "?([^"\s]+)"? not found/i.exec(message)?.[1] ??
    /column "?(?:[^"\s.]+\.)?([^"\s.]+)"? does not exist/i.exec(message)?.[1]
  );
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

function columnHint(name: string, columns: readonly string[]): string {
  const near = closestMatch(name, columns);
  return near ? `did you mean '${near}'?` : `its columns: ${columns.join(', ')}`;
}
