/**
 * Drift: live warehouse state that no longer matches what the state store says an environment
 * shows — a view dropped or re-pointed, a physical table dropped — detected by introspection and
 * repaired by putting the release back. Views are re-pointed with the release switch itself (one
 * transaction, same release id); missing tables are rebuilt by the caller with a fresh release
 * of the same commit.
 */
import { PHYSICAL_SCHEMA } from '../release/physical-layout.js';
import { switchEnvironment } from '../release/switch-environment.js';
import type { EnvironmentPointer } from '../state/state-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export interface DriftItem {
  /** `schema.name` of the relation that drifted. */
  readonly relation: string;
  readonly problem: 'view missing' | 'view re-pointed' | 'table missing';
  readonly model: string;
}

/** Compares the environment's views and tables with its pointer (three catalog queries). */
export async function detectDrift(
  warehouse: Warehouse,
  pointer: EnvironmentPointer | undefined,
): Promise<DriftItem[]> {
  if (!pointer) return [];
  const environment = pointer.environment;
  const [tables, views] = await Promise.all([
    warehouse.listRelations(PHYSICAL_SCHEMA),
    warehouse.query(
      'select table_name, view_definition from information_schema.views where table_schema = $1',
      { params: [environment] },
    ),
  ]);
  const present = new Set(tables.map((t) => t.name));
  const definitions = new Map<string, string>();
  for (const row of views.rows) {
    definitions.set(String(row['table_name']), String(row['view_definition'] ?? ''));
  }
  const drift: DriftItem[] = [];
  for (const [model, target] of Object.entries(pointer.models)) {
    if (!present.has(target.table)) {
      drift.push({ relation: `${PHYSICAL_SCHEMA}.${target.table}`, problem: 'table missing', model });
    }
    const definition = definitions.get(model);
    if (definition === undefined) {
      drift.push({ relation: `${environment}.${model}`, problem: 'view missing', model });
    } else if (!definition.includes(target.table)) {
      drift.push({ relation: `${environment}.${model}`, problem: 'view re-pointed', model });
    }
  }
  return drift;
}

/** Re-creates every view of the environment as its release defines it (tables must exist). */
export async function repairViews(warehouse: Warehouse, pointer: EnvironmentPointer): Promise<number> {
  return switchEnvironment(warehouse, {
    environment: pointer.environment,
    releaseId: pointer.releaseId,
    models: pointer.models,
    removed: [],
  });
}
