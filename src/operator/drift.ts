/**
 * Drift: live warehouse state that no longer matches what the state store says an environment
 * shows — a view dropped or rewritten, the environment's pointer re-pointed, a physical table
 * dropped — detected by introspection and repaired by putting the release back. Views and the
 * pointer are put back with the release switch itself (one transaction, same release id);
 * missing tables are rebuilt by the caller with a fresh release of the same commit.
 */

import { WarehouseError } from '../core/errors.js';
import type { EnvironmentPointer } from '../core/release.js';
import { PHYSICAL_SCHEMA, physicalTable } from '../release/physical-layout.js';
import {
  environmentPointer,
  physicalRelations,
  readsThroughPointer,
  switchEnvironment,
} from '../release/switch-environment.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export interface DriftItem {
  /** `schema.name` of the relation that drifted. */
  readonly relation: string;
  readonly problem: 'view missing' | 'view re-pointed' | 'table missing';
  readonly model: string;
}

/** Compares the environment's views, pointer and tables with its state-store pointer. */
export async function detectDrift(
  warehouse: Warehouse,
  pointer: EnvironmentPointer | undefined,
): Promise<DriftItem[]> {
  if (!pointer) return [];
  const environment = pointer.environment;
  const models = Object.keys(pointer.models);
  const [physical, views, pointed] = await Promise.all([
    physicalRelations(warehouse),
    warehouse.query('select view_name, sql from duckdb_views() where schema_name = $1', {
      params: [environment],
    }),
    pointedTables(warehouse, environment, models),
  ]);
  const definitions = new Map(views.rows.map((r) => [String(r['view_name']), String(r['sql'] ?? '')]));
  const drift: DriftItem[] = [];
  for (const [model, target] of Object.entries(pointer.models)) {
    if (!physical.has(target.table)) {
      drift.push({ relation: `${PHYSICAL_SCHEMA}.${target.table}`, problem: 'table missing', model });
    }
    const definition = definitions.get(model);
    if (definition === undefined) {
      drift.push({ relation: `${environment}.${model}`, problem: 'view missing', model });
    } else if (
      !readsThroughPointer(definition, environment, model) ||
      pointed.get(model) !== warehouse.quoteRelation(physicalTable(target.table))
    ) {
      drift.push({ relation: `${environment}.${model}`, problem: 'view re-pointed', model });
    }
  }
  return drift;
}

/** What the environment's pointer names for each model (empty when it has no readable pointer). */
async function pointedTables(
  warehouse: Warehouse,
  environment: string,
  models: readonly string[],
): Promise<Map<string, string | null>> {
  const macro = environmentPointer(environment);
  try {
    const { rows } = await warehouse.query(
      `select model, ${warehouse.quoteRelation(macro)}(model) as target from unnest($1) as t(model)`,
      { params: [[...models]] },
    );
    return new Map(rows.map((r) => [String(r['model']), r['target'] === null ? null : String(r['target'])]));
  } catch (error) {
    // A pointer that cannot be read (dropped, or edited by hand into something else) names no
    // table: every view reading through it has drifted. (Asking the catalog first would cost a
    // scan of every function, 15 ms, on each pass.)
    if (error instanceof WarehouseError) return new Map();
    throw error;
  }
}

/** Puts back every view of the environment and its pointer as its release defines them. */
export async function repairViews(warehouse: Warehouse, pointer: EnvironmentPointer): Promise<number> {
  return switchEnvironment(warehouse, {
    environment: pointer.environment,
    releaseId: pointer.releaseId,
    models: pointer.models,
    removed: [],
    rewriteViews: true,
  });
}
