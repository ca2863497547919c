/**
 * What an environment shows now, read from the state store and checked against the warehouse:
 * its pointer, the definitions behind its fingerprints, and the physical tables that are built
 * (recorded as built and present). The planner works from this value.
 */
import type { EnvironmentPointer } from '../core/release.js';
import type { StateStore } from '../state/state-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { ModelDefinition } from './model-definition.js';
import { PHYSICAL_SCHEMA } from './physical-layout.js';
import type { PlanInput } from './plan-release.js';

export interface LiveState {
  readonly pointer: EnvironmentPointer | undefined;
  readonly live: PlanInput['live'];
  readonly builtTables: ReadonlySet<string>;
}

export async function readLiveState(
  state: StateStore,
  warehouse: Warehouse,
  environment: string,
  {
    extraFingerprints = [],
    verifyTables = true,
  }: {
    readonly extraFingerprints?: readonly string[];
    /**
     * Check the built tables against the warehouse's catalog too (one listing of the physical
     * schema). Promote and rollback skip it: their switch refuses a missing table by itself.
     */
    readonly verifyTables?: boolean;
  } = {},
): Promise<LiveState> {
  const pointer = await state.getPointer(environment);
  const models = pointer?.models ?? {};
  const versions = await state.getModelVersions([
    ...Object.values(models).map((m) => m.fingerprint),
    ...extraFingerprints,
  ]);
  const definitions = new Map<string, ModelDefinition>();
  for (const [fp, v] of versions) definitions.set(fp, v.definition as ModelDefinition);
  const built = verifyTables
    ? await builtTables(state, warehouse)
    : new Set((await state.getPhysicalTables()).filter((t) => t.status === 'built').map((t) => t.name));
  return { pointer, live: { releaseId: pointer?.releaseId, models, definitions }, builtTables: built };
}

/** Tables the state store records as built and the warehouse actually has. */
export async function builtTables(state: StateStore, warehouse: Warehouse): Promise<Set<string>> {
  const present = new Set((await warehouse.listRelations(PHYSICAL_SCHEMA)).map((r) => r.name));
  return new Set(
    (await state.getPhysicalTables())
      .filter((t) => t.status === 'built' && present.has(t.name))
      .map((t) => t.name),
  );
}
