/**
 * Switching an environment: every view of the environment is re-pointed (and views of removed
 * models dropped) in ONE warehouse transaction, together with the row that records which release
 * the environment now shows. That row is the release's commit point: readers see wholly the old
 * or wholly the new release, and after a crash the state store can learn from it whether the
 * switch happened.
 */
import type { EnvironmentModels } from '../state/state-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { environmentRelation, physicalTable } from './physical-layout.js';

export const META_SCHEMA = 'slipway_meta';
const MARKER = { schema: META_SCHEMA, name: 'environment_releases' };

export interface SwitchRequest {
  readonly environment: string;
  readonly releaseId: string;
  readonly models: EnvironmentModels;
  /** Models whose views are dropped (removed from the project). */
  readonly removed: readonly string[];
  /**
   * What the environment's views show now, when that is known for certain (the warehouse's
   * marker names the release the state store points at): only views whose table changes are
   * replaced. Without it every view is replaced.
   */
  readonly current?: EnvironmentModels;
}

/** Creates the bookkeeping table the switch writes to; idempotent. */
export async function prepareSwitchMarker(warehouse: Warehouse): Promise<void> {
  await warehouse.createSchema(META_SCHEMA);
  await warehouse.execute(
    `CREATE TABLE IF NOT EXISTS ${warehouse.quoteRelation(MARKER)} (environment VARCHAR PRIMARY KEY, release_id VARCHAR NOT NULL, switched_at TIMESTAMPTZ NOT NULL)`,
  );
}

/**
 * Re-points the environment's views in one transaction; returns how long the transaction took.
 * A view whose table does not change is left as it is — the switch is still all or nothing.
 */
export async function switchEnvironment(warehouse: Warehouse, request: SwitchRequest): Promise<number> {
  const began = performance.now();
  const statements = [`CREATE SCHEMA IF NOT EXISTS ${warehouse.quoteIdentifier(request.environment)}`];
  for (const [model, pointer] of Object.entries(request.models)) {
    if (request.current?.[model]?.table === pointer.table) continue;
    statements.push(
      `CREATE OR REPLACE VIEW ${warehouse.quoteRelation(environmentRelation(request.environment, model))} AS select * from ${warehouse.quoteRelation(physicalTable(pointer.table))}`,
    );
  }
  for (const model of request.removed) {
    statements.push(
      `DROP VIEW IF EXISTS ${warehouse.quoteRelation(environmentRelation(request.environment, model))}`,
    );
  }
  await warehouse.transaction(async (tx) => {
    // One script: every name in it is quoted by the warehouse, and it saves a round trip per view.
    await tx.execute(statements.join(';\n'));
    await tx.execute(`INSERT OR REPLACE INTO ${warehouse.quoteRelation(MARKER)} VALUES ($1, $2, now())`, {
      params: [request.environment, request.releaseId],
    });
  });
  return performance.now() - began;
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
 * loop's `slipway build`) rewrites its views: the next release then replaces every view.
 */
export async function forgetSwitchedRelease(warehouse: Warehouse, environment: string): Promise<void> {
  const tables = await warehouse.listRelations(META_SCHEMA);
  if (!tables.some((t) => t.name === MARKER.name)) return;
  await warehouse.execute(`DELETE FROM ${warehouse.quoteRelation(MARKER)} WHERE environment = $1`, {
    params: [environment],
  });
}
