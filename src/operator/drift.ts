/**
 * Drift: live warehouse state that no longer matches what the state store says an environment
 * shows — a view dropped or rewritten, a view re-pointed at another table, a physical table
 * dropped — detected by the warehouse's own inspection and repaired by putting the release back.
 * Views are put back with the release switch itself (one transaction, same release id); missing
 * tables are rebuilt by the caller with a fresh release of the same commit. Engine-neutral: what
 * a view reads is the adapter's answer (`warehouse.environments.inspect`).
 */

import type { EnvironmentPointer } from '../core/release.js';
import { PHYSICAL_SCHEMA } from '../core/warehouse-layout.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export interface DriftItem {
  /** `schema.name` of the relation that drifted. */
  readonly relation: string;
  readonly problem: 'view missing' | 'view re-pointed' | 'table missing';
  readonly model: string;
}

/** Compares the environment's views and tables, as the warehouse shows them, with its pointer. */
export async function detectDrift(
  warehouse: Warehouse,
  pointer: EnvironmentPointer | undefined,
): Promise<DriftItem[]> {
  if (!pointer) return [];
  const environment = pointer.environment;
  const live = await warehouse.environments.inspect(environment, Object.keys(pointer.models));
  const drift: DriftItem[] = [];
  for (const [model, target] of Object.entries(pointer.models)) {
    if (!live.physical.has(target.table)) {
      drift.push({ relation: `${PHYSICAL_SCHEMA}.${target.table}`, problem: 'table missing', model });
    }
    if (!live.views.has(model)) {
      drift.push({ relation: `${environment}.${model}`, problem: 'view missing', model });
    } else if (live.views.get(model) !== target.table) {
      drift.push({ relation: `${environment}.${model}`, problem: 'view re-pointed', model });
    }
  }
  return drift;
}

/** Puts back every view of the environment as its release defines them. */
export async function repairViews(warehouse: Warehouse, pointer: EnvironmentPointer): Promise<number> {
  return warehouse.environments.switch({
    environment: pointer.environment,
    releaseId: pointer.releaseId,
    models: pointer.models,
    removed: [],
    rewriteViews: true,
  });
}
