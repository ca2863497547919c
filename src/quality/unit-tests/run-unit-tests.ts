/**
 * The SQL unit-test runner. Each test gets its own isolated engine (never the warehouse's data),
 * opened by the factory the caller passes in (the composition root wires the project's engine: an
 * in-memory DuckDB, or a scratch schema on PostgreSQL). Everything a test creates is in the
 * engine's `defaultSchema`, which is private to the test: every
 * input becomes a table of fixture rows, typed from the source's declared columns or the input
 * model's compiled shape (else inferred from the values); the model is compiled against those
 * tables and its output compared with the expected rows. A fixture that lacks a column the model
 * reads, or names a column its node does not have, is reported at the test's `file:line`.
 */
import { availableParallelism } from 'node:os';
import type { Diagnostic, SourcePosition } from '../../core/errors.js';
import { errorMessage } from '../../core/errors.js';
import { compileSqlModel } from '../../project/compile-model.js';
import type { ModelNode, Project, UnitTest, UnitTestFixture } from '../../project/project.js';
import type {
  ColumnInfo,
  IsolatedWarehouseFactory,
  Row,
  SqlValue,
  Warehouse,
} from '../../warehouse/warehouse.js';
import { missingColumn } from '../shape-problems.js';
import { fixtureValue, inferColumnType } from './fixture-types.js';
import { columnsOf, projectShapes, type Shapes } from './model-shapes.js';
import { compareRows, type ExpectedRow } from './row-match.js';

export interface UnitTestResult {
  readonly name: string;
  readonly model: string;
  readonly file: string;
  readonly position: SourcePosition;
  readonly status: 'pass' | 'fail' | 'error';
  /** One line: what went wrong (empty when passed). */
  readonly message: string;
  /** Row-by-row differences when the test failed. */
  readonly diff: string;
  /** The problem in the test itself (bad fixture), positioned at the test. */
  readonly diagnostic: Diagnostic | undefined;
  readonly durationMs: number;
}

export interface UnitTestSummary {
  readonly results: readonly UnitTestResult[];
  readonly durationMs: number;
  readonly testsPerSecond: number;
}

export interface RunUnitTestsRequest {
  readonly project: Project;
  readonly tests: readonly UnitTest[];
  /** Opens a new, empty engine for one test (and one for the models' shapes); closed after use. */
  readonly openEngine: IsolatedWarehouseFactory;
  /** Called as each test finishes (progress output). */
  readonly onResult?: (result: UnitTestResult) => void;
  /** Tests run at once, each in its own single-threaded engine (default: the CPU count). */
  readonly concurrency?: number;
}

/**
 * @example
 * const { results, testsPerSecond } = await runUnitTests({
 *   project,
 *   tests: project.tests,
 *   openEngine: openUnitTestWarehouse, // from src/app/
 * });
 */
export async function runUnitTests(request: RunUnitTestsRequest): Promise<UnitTestSummary> {
  const started = performance.now();
  const shapes = await projectShapes(request.project, request.openEngine, inputsOf(request.tests));
  const results: UnitTestResult[] = new Array(request.tests.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < request.tests.length) {
      const index = next++;
      const test = request.tests[index] as UnitTest;
      const result = await runUnitTest(request.project, test, shapes, request.openEngine);
      results[index] = result;
      request.onResult?.(result);
    }
  };
  const workers = Math.max(1, Math.min(request.concurrency ?? availableParallelism(), request.tests.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const durationMs = performance.now() - started;
  return { results, durationMs, testsPerSecond: results.length / Math.max(durationMs / 1000, 1e-9) };
}

function inputsOf(tests: readonly UnitTest[]): Set<string> {
  return new Set(tests.flatMap((t) => Object.keys(t.inputs)));
}

/** A problem with the test's own input: reported at the test, not as a model failure. */
class FixtureProblem extends Error {}

export async function runUnitTest(
  project: Project,
  test: UnitTest,
  shapes: Shapes,
  openEngine: IsolatedWarehouseFactory,
): Promise<UnitTestResult> {
  const began = performance.now();
  const base = { name: test.name, model: test.model, file: test.file, position: test.position };
  const warehouse = await openEngine();
  // The test's own schema (private to it): its fixtures, the model's output and the expected rows.
  const fixtures = warehouse.defaultSchema;
  try {
    const model = project.models.get(test.model) as ModelNode;
    for (const [name, fixture] of Object.entries(test.inputs)) {
      await loadFixture(warehouse, fixtures, project, shapes, name, fixture);
    }
    const compiled = compileSqlModel(model, (name) => warehouse.quoteRelation({ schema: fixtures, name }));
    const actualRef = { schema: fixtures, name: 'slipway_actual' };
    try {
      await warehouse.createTableAs(actualRef, compiled);
    } catch (error) {
      const message = errorMessage(error);
      const missing = missingColumn(message);
      if (missing) {
        throw new FixtureProblem(
          `${test.model} reads column '${missing}', which the fixture rows of ${Object.keys(test.inputs).join(' / ')} do not have`,
        );
      }
      throw error;
    }
    const actualColumns = await columnsOf(warehouse, actualRef);
    const expected = await expectedRows(warehouse, test, actualColumns);
    const actual = (await warehouse.query(`SELECT * FROM ${warehouse.quoteRelation(actualRef)}`)).rows;
    const comparison = compareRows(expected, actual, test.expect.ordered);
    return {
      ...base,
      status: comparison.ok ? 'pass' : 'fail',
      message: comparison.ok ? '' : `output differs from the expected rows`,
      diff: comparison.diff,
      diagnostic: undefined,
      durationMs: performance.now() - began,
    };
  } catch (error) {
    const message = errorMessage(error).split('\n')[0] ?? '';
    const isFixture = error instanceof FixtureProblem;
    return {
      ...base,
      status: 'error',
      message,
      diff: '',
      diagnostic: isFixture
        ? { position: test.position, message: `unit test '${test.name}': ${message}` }
        : undefined,
      durationMs: performance.now() - began,
    };
  } finally {
    await warehouse.close();
  }
}

/** The types a node's columns have, when the project knows them. */
function knownColumns(project: Project, shapes: Shapes, name: string): Map<string, string> | undefined {
  const shape = shapes.get(name);
  const node = project.sources.get(name) ?? project.models.get(name);
  const out = new Map<string, string>();
  for (const c of shape ?? []) out.set(c.name.toLowerCase(), c.type);
  for (const c of node?.columns ?? []) if (c.type) out.set(c.name.toLowerCase(), c.type);
  return shape || (node?.type === 'source' && node.columns.length > 0) ? out : undefined;
}

async function loadFixture(
  warehouse: Warehouse,
  fixtures: string,
  project: Project,
  shapes: Shapes,
  name: string,
  fixture: UnitTestFixture,
): Promise<void> {
  const known = knownColumns(project, shapes, name);
  const target = warehouse.quoteRelation({ schema: fixtures, name });
  const checkColumn = (column: string): void => {
    if (known && !known.has(column.toLowerCase())) {
      throw new FixtureProblem(
        `the fixture for ${name} has column '${column}', which ${name} does not have (its columns: ${[...known.keys()].join(', ')})`,
      );
    }
  };
  if (fixture.csv !== undefined) {
    const staged = warehouse.quoteRelation({ schema: fixtures, name: `${name}__csv` });
    await warehouse.files.createTableFromCsv({ schema: fixtures, name: `${name}__csv` }, fixture.csv, {
      allText: false,
    });
    const columns = await columnsOf(warehouse, { schema: fixtures, name: `${name}__csv` });
    for (const c of columns) checkColumn(c.name);
    const select = columns.map((c) => {
      const type = known?.get(c.name.toLowerCase());
      const q = warehouse.quoteIdentifier(c.name);
      return type && type !== c.type ? `CAST(${q} AS ${type}) AS ${q}` : q;
    });
    await warehouse.execute(`CREATE TABLE ${target} AS SELECT ${select.join(', ')} FROM ${staged}`);
    return;
  }
  const rows = fixture.rows ?? [];
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (columns.length === 0) {
    // No rows: an empty table with the node's known columns.
    if (!known || known.size === 0)
      throw new FixtureProblem(`the fixture for ${name} has no rows and ${name}'s columns are not declared`);
    const defs = [...known].map(([c, t]) => `${warehouse.quoteIdentifier(c)} ${t}`);
    await warehouse.execute(`CREATE TABLE ${target} (${defs.join(', ')})`);
    return;
  }
  for (const c of columns) checkColumn(c);
  const types = columns.map((c) => known?.get(c.toLowerCase()) ?? inferColumnType(rows.map((r) => r[c])));
  await warehouse.execute(
    `CREATE TABLE ${target} (${columns.map((c, i) => `${warehouse.quoteIdentifier(c)} ${types[i]}`).join(', ')})`,
  );
  await insertRows(warehouse, target, columns, types, rows);
}

async function insertRows(
  warehouse: Warehouse,
  target: string,
  columns: readonly string[],
  types: readonly string[],
  rows: readonly Readonly<Record<string, unknown>>[],
): Promise<void> {
  if (rows.length === 0) return;
  const params: SqlValue[] = [];
  const tuples = rows.map(
    (row) =>
      `(${columns
        .map((c, i) => {
          params.push(fixtureValue(row[c], types[i] as string));
          return `$${params.length}`;
        })
        .join(', ')})`,
  );
  const list = columns.map((c) => warehouse.quoteIdentifier(c)).join(', ');
  await warehouse.execute(`INSERT INTO ${target} (${list}) VALUES ${tuples.join(', ')}`, { params });
}

/** Expected rows, converted through the engine to the model's output types so values compare alike. */
async function expectedRows(
  warehouse: Warehouse,
  test: UnitTest,
  actual: readonly ColumnInfo[],
): Promise<ExpectedRow[]> {
  const typeOf = new Map(actual.map((c) => [c.name.toLowerCase(), c]));
  const ref = { schema: warehouse.defaultSchema, name: 'slipway_expected' };
  let rowsColumns: string[][];
  if (test.expect.csv !== undefined) {
    await warehouse.files.createTableFromCsv(ref, test.expect.csv, { allText: true });
    const cols = (await columnsOf(warehouse, ref)).map((c) => c.name);
    const count = await warehouse.rowCount(ref);
    rowsColumns = Array.from({ length: count }, () => cols);
  } else {
    const rows = test.expect.rows ?? [];
    rowsColumns = rows.map((r) => Object.keys(r));
    const columns = [...new Set(rowsColumns.flat())];
    await warehouse.execute(
      `CREATE TABLE ${warehouse.quoteRelation(ref)} (${['slipway_row INTEGER', ...columns.map((c) => `${warehouse.quoteIdentifier(c)} VARCHAR`)].join(', ')})`,
    );
    if (columns.length > 0 && rows.length > 0) {
      const withIndex = rows.map((r, i) => ({ ...r, slipway_row: i }));
      await insertRows(
        warehouse,
        warehouse.quoteRelation(ref),
        ['slipway_row', ...columns],
        ['INTEGER', ...columns.map(() => 'VARCHAR')],
        withIndex,
      );
    }
  }
  const columns = [...new Set(rowsColumns.flat())];
  for (const c of columns) {
    if (!typeOf.has(c.toLowerCase())) {
      throw new FixtureProblem(
        `the expected rows name column '${c}', which ${test.model} does not produce (it produces: ${actual.map((a) => a.name).join(', ')})`,
      );
    }
  }
  // The engine casts the written values to the output types (text → TIMESTAMP, DECIMAL, BOOLEAN …).
  const select = columns.map((c) => {
    const info = typeOf.get(c.toLowerCase()) as ColumnInfo;
    return `CAST(${warehouse.quoteIdentifier(c)} AS ${info.type}) AS ${warehouse.quoteIdentifier(info.name)}`;
  });
  const order = test.expect.csv === undefined ? ' ORDER BY slipway_row' : '';
  let rows: readonly Row[];
  try {
    rows = select.length
      ? (await warehouse.query(`SELECT ${select.join(', ')} FROM ${warehouse.quoteRelation(ref)}${order}`))
          .rows
      : rowsColumns.map(() => ({}));
  } catch (error) {
    throw new FixtureProblem(
      `an expected value does not fit the model's column type: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return rows.map((values, i) => ({
    values,
    columns: (rowsColumns[i] ?? []).map((c) => (typeOf.get(c.toLowerCase()) as ColumnInfo).name),
  }));
}
