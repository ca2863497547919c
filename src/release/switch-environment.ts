/**
 * Switching an environment. Every view of an environment reads its model through the
 * environment's pointer: one macro, `slipway_meta.environment_<env>(model)`, that names the
 * physical table each model shows (`select * from query_table(slipway_meta.environment_prod('orders'))`).
 * A switch replaces that macro, creates the views the environment lacks, drops the views of
 * removed models, and writes the row that records which release the environment now shows — all
 * in ONE warehouse transaction. That row is the release's commit point: readers see wholly the old
 * or wholly the new release, and after a crash the state store can learn from it whether the
 * switch happened.
 *
 * Why a pointer rather than re-creating each view: DuckDB spends about 0.2 ms on every statement,
 * so re-pointing 200 views one by one takes 40–120 ms, while one macro takes 1–2 ms whatever the
 * number of models. DuckDB binds a view again on every read, so a view shows the table its pointer
 * names now, columns included. The map is a JSON document read with `json_extract_string`: a
 * 200-branch CASE would cost every read about 1.5 ms to bind, the JSON lookup about 0.15 ms.
 * (DuckDB-specific; a PostgreSQL warehouse would swap schemas instead.)
 *
 * The row also says whether the environment's views are pointer views. Anything else that writes
 * them (the dev loop's `slipway build`) deletes the row, so the next switch writes every view
 * again; a view edited by hand is drift, which the drift check finds and repairs.
 */
import { WorkFailedError } from '../core/errors.js';
import type { EnvironmentModels } from '../core/release.js';
import { quoteStringLiteral } from '../core/sql-literal.js';
import type { RelationRef, Warehouse, WarehouseTransaction } from '../warehouse/warehouse.js';
import { environmentRelation, PHYSICAL_SCHEMA, physicalTable } from './physical-layout.js';

export const META_SCHEMA = 'slipway_meta';
const MARKER = { schema: META_SCHEMA, name: 'environment_releases' };
/** The marker's `views` value when every view of the environment reads through its pointer. */
const POINTER_VIEWS = 'pointer';

export interface SwitchRequest {
  readonly environment: string;
  readonly releaseId: string;
  readonly models: EnvironmentModels;
  /** Models whose views are dropped (removed from the project). */
  readonly removed: readonly string[];
  /** Write every view again, even where the marker says they are pointer views (drift repair). */
  readonly rewriteViews?: boolean;
}

/** The macro that maps each model of the environment to the physical table it shows. */
export function environmentPointer(environment: string): RelationRef {
  return { schema: META_SCHEMA, name: `environment_${environment}` };
}

/** The SQL of an environment's view of `model`: a read through the environment's pointer. */
export function pointerViewSql(warehouse: Warehouse, environment: string, model: string): string {
  return `select * from query_table(${warehouse.quoteRelation(environmentPointer(environment))}(${quoteStringLiteral(model)}))`;
}

/**
 * Whether a view's SQL, as DuckDB renders it, reads `model` through the environment's pointer.
 * DuckDB drops the quotes an identifier does not need, so quotes are ignored.
 */
export function readsThroughPointer(sql: string, environment: string, model: string): boolean {
  const plain = sql.replaceAll('"', '');
  const call = `${META_SCHEMA}.${environmentPointer(environment).name}(${quoteStringLiteral(model)})`;
  return /\bquery_table\s*\(/i.test(plain) && plain.includes(call);
}

/** The physical relations present (tables, and views of view-kind models). */
export async function physicalRelations(
  warehouse: Pick<WarehouseTransaction, 'query'>,
): Promise<Set<string>> {
  // duckdb_tables() and duckdb_views() rather than information_schema: the same answer, cheaper.
  const { rows } = await warehouse.query(
    'select table_name as name from duckdb_tables() where schema_name = $1 union all select view_name from duckdb_views() where schema_name = $1',
    { params: [PHYSICAL_SCHEMA] },
  );
  return new Set(rows.map((r) => String(r['name'])));
}

/** Creates the bookkeeping table the switch writes to; idempotent, and upgrades older files. */
export async function prepareSwitchMarker(warehouse: Warehouse): Promise<void> {
  await warehouse.createSchema(META_SCHEMA);
  const marker = warehouse.quoteRelation(MARKER);
  await warehouse.execute(
    `CREATE TABLE IF NOT EXISTS ${marker} (environment VARCHAR PRIMARY KEY, release_id VARCHAR NOT NULL, switched_at TIMESTAMPTZ NOT NULL, views VARCHAR)`,
  );
  await warehouse.execute(`ALTER TABLE ${marker} ADD COLUMN IF NOT EXISTS views VARCHAR`);
}

/**
 * Re-points the environment in one transaction; returns how long the switch took. Refuses, and
 * changes nothing, when a physical table the release names is not in the warehouse (the pointer
 * is a name, so nothing else would notice before a reader does).
 */
export async function switchEnvironment(warehouse: Warehouse, request: SwitchRequest): Promise<number> {
  const began = performance.now();
  const { environment } = request;
  const map = Object.fromEntries(
    Object.entries(request.models).map(([model, p]) => [
      model,
      warehouse.quoteRelation(physicalTable(p.table)),
    ]),
  );
  // Which physical tables exist is read on another connection while the transaction does its
  // work (the catalog scan is the switch's longest step, and the switch never changes tables);
  // with a single connection, first thing in the transaction (waiting for another would never
  // end).
  const presentTables = warehouse.capabilities.maxConcurrency > 1 ? physicalRelations(warehouse) : undefined;
  presentTables?.catch(() => undefined); // awaited in the transaction; unhandled if it never gets there
  await warehouse.transaction(async (tx) => {
    const checkedFirst = presentTables === undefined ? await physicalRelations(tx) : undefined;
    const { marked, keep } = await viewsToKeep(tx, warehouse, environment, request.rewriteViews === true);
    const statements = [
      `CREATE SCHEMA IF NOT EXISTS ${warehouse.quoteIdentifier(environment)}`,
      // Model names are plain identifiers (the project refuses others), so `$.name` is a key.
      `CREATE OR REPLACE MACRO ${warehouse.quoteRelation(environmentPointer(environment))}(model) AS json_extract_string(${quoteStringLiteral(JSON.stringify(map))}, '$.' || model)`,
    ];
    for (const model of Object.keys(request.models)) {
      if (keep.has(model)) continue;
      statements.push(
        `CREATE OR REPLACE VIEW ${warehouse.quoteRelation(environmentRelation(environment, model))} AS ${pointerViewSql(warehouse, environment, model)}`,
      );
    }
    for (const model of request.removed) {
      statements.push(
        `DROP VIEW IF EXISTS ${warehouse.quoteRelation(environmentRelation(environment, model))}`,
      );
    }
    const [env, release, views] = [environment, request.releaseId, POINTER_VIEWS].map(quoteStringLiteral);
    // An UPDATE where the row is there: a third of the time of an upsert through the key's index.
    statements.push(
      marked
        ? `UPDATE ${warehouse.quoteRelation(MARKER)} SET release_id = ${release}, switched_at = now(), views = ${views} WHERE environment = ${env}`
        : `INSERT INTO ${warehouse.quoteRelation(MARKER)} VALUES (${env}, ${release}, now(), ${views})`,
    );
    // One script (a script takes no bound parameters, so its values are quoted literals): it
    // saves a round trip per statement.
    const failed = await tx.execute(statements.join(';\n')).then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    // Checked before the commit: a missing table rolls the whole switch back, and is the reason
    // given when the script failed on it (a new view binds its table).
    const present = checkedFirst ?? (await presentTables) ?? new Set<string>();
    const missing = Object.values(request.models)
      .map((p) => p.table)
      .filter((table) => !present.has(table));
    if (missing.length > 0) {
      const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
      throw new WorkFailedError(
        `cannot switch ${environment}: ${missing.length} of its tables no longer exist (${shown})`,
        { hint: 'they were dropped behind Slipway; apply that commit again to rebuild them' },
      );
    }
    if (failed) throw failed.error;
  });
  return performance.now() - began;
}

/**
 * Whether the environment has a marker row, and which of its views a switch may leave as they
 * are: all of them when the marker says a switch wrote them, none otherwise (or when asked to
 * write every view again).
 */
async function viewsToKeep(
  tx: WarehouseTransaction,
  warehouse: Warehouse,
  environment: string,
  rewrite: boolean,
): Promise<{ readonly marked: boolean; readonly keep: ReadonlySet<string> }> {
  const { rows: marker } = await tx.query(
    `select views from ${warehouse.quoteRelation(MARKER)} where environment = $1`,
    { params: [environment] },
  );
  const marked = marker.length > 0;
  if (rewrite || marker[0]?.['views'] !== POINTER_VIEWS) return { marked, keep: new Set() };
  const { rows } = await tx.query('select view_name from duckdb_views() where schema_name = $1', {
    params: [environment],
  });
  return { marked, keep: new Set(rows.map((r) => String(r['view_name']))) };
}

/** The release the warehouse says the environment shows (undefined before its first switch). */
export async function switchedRelease(
  warehouse: Warehouse,
  environment: string,
): Promise<string | undefined> {
  const tables = await warehouse.listRelations(META_SCHEMA);
  if (!tables.some((t) => t.name === MARKER.name)) return undefined;
  const { rows } = await warehouse.query(
    `select release_id from ${warehouse.quoteRelation(MARKER)} where environment = $1`,
    { params: [environment] },
  );
  const id = rows[0]?.['release_id'];
  return typeof id === 'string' ? id : undefined;
}

/**
 * Forgets which release the environment shows, before something other than a release (the dev
 * loop's `slipway build`) rewrites its views: the next release then writes every view again.
 */
export async function forgetSwitchedRelease(warehouse: Warehouse, environment: string): Promise<void> {
  const tables = await warehouse.listRelations(META_SCHEMA);
  if (!tables.some((t) => t.name === MARKER.name)) return;
  await warehouse.execute(`DELETE FROM ${warehouse.quoteRelation(MARKER)} WHERE environment = $1`, {
    params: [environment],
  });
}
