/**
 * The column types of every model and source as far as the project declares them: sources'
 * declared column types, and each SQL model's output types found by compiling it over empty
 * tables of its inputs in a scratch engine passed in (no data). A fixture for
 * `stg_transactions` then gets `amount DECIMAL(12,2)` and `event_ts TIMESTAMP` exactly as the
 * warehouse would, without the test author writing types.
 */
import { compileSqlModel } from '../../project/compile-model.js';
import type { Project } from '../../project/project.js';
import type {
  ColumnInfo,
  IsolatedWarehouseFactory,
  RelationRef,
  Warehouse,
} from '../../warehouse/warehouse.js';

export type Shapes = ReadonlyMap<string, readonly ColumnInfo[]>;

/**
 * Shapes of `wanted` nodes (and what they need); every node when omitted. `openEngine` opens the
 * scratch engine the models are compiled on (closed before this returns).
 */
export async function projectShapes(
  project: Project,
  openEngine: IsolatedWarehouseFactory,
  wanted?: ReadonlySet<string>,
): Promise<Shapes> {
  const needed = wanted ? upstreamOf(project, wanted) : undefined;
  const shapes = new Map<string, readonly ColumnInfo[]>();
  const warehouse = await openEngine();
  try {
    // The engine's own schema is private to this job: the shapes are created there.
    const schema = warehouse.defaultSchema;
    const rel = (name: string): string => warehouse.quoteRelation({ schema, name });
    for (const name of project.order) {
      if (needed && !needed.has(name)) continue;
      const source = project.sources.get(name);
      if (source) {
        const declared = source.columns.filter((c) => c.type !== undefined);
        if (declared.length === 0 || declared.length !== source.columns.length) continue;
        const columns = declared.map((c) => `${warehouse.quoteIdentifier(c.name)} ${c.type}`).join(', ');
        try {
          await warehouse.execute(`CREATE TABLE ${rel(name)} (${columns})`);
          shapes.set(name, await columnsOf(warehouse, { schema, name }));
        } catch {
          // An engine-specific declared type: leave this source to inference.
        }
        continue;
      }
      const model = project.models.get(name);
      if (model?.language !== 'sql' || !model.dependsOn.every((d) => shapes.has(d))) continue;
      try {
        await warehouse.createView({ schema, name }, compileSqlModel(model, rel));
        shapes.set(name, await columnsOf(warehouse, { schema, name }));
      } catch {
        // Not describable without data (or not this engine's SQL): fixtures of it use inference.
      }
    }
  } finally {
    await warehouse.close();
  }
  return shapes;
}

/** A relation's columns from a zero-row query: much cheaper than the catalog views. */
export async function columnsOf(warehouse: Warehouse, ref: RelationRef): Promise<readonly ColumnInfo[]> {
  return (await warehouse.query(`SELECT * FROM ${warehouse.quoteRelation(ref)} LIMIT 0`)).columns;
}

function upstreamOf(project: Project, names: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (out.has(name)) continue;
    out.add(name);
    queue.push(...(project.models.get(name)?.dependsOn ?? []));
  }
  return out;
}
