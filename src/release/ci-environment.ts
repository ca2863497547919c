/**
 * The ephemeral environment of `slipway ci`: a schema `ci_<id>` of views, one per model, that
 * point at the baseline environment's physical tables for every model the branch leaves alone
 * and at new tables only for what it changes. It is never a release: the state store hears only
 * of the tables built for it (so a crash leaves them to `gc`), and dropping it removes the schema
 * and those of its tables nothing else references.
 */
import { randomBytes } from 'node:crypto';
import type { EnvironmentModels } from '../core/release.js';
import type { Project } from '../project/project.js';
import type { StateStore } from '../state/state-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { createSourceViews } from './build-models.js';
import { environmentRelation, PHYSICAL_SCHEMA, physicalTable, SOURCES_SCHEMA } from './physical-layout.js';

/**
 * `ci_<first 8 of the commit>` for a clean checkout, so a rerun of the same commit finds its
 * environment; `ci_<random>` for uncommitted work or outside git.
 */
export function ciEnvironmentName(commitSha: string | undefined): string {
  const id = commitSha && /^[0-9a-f]{8,}$/i.test(commitSha) ? commitSha.slice(0, 8).toLowerCase() : undefined;
  return `ci_${id ?? randomBytes(4).toString('hex')}`;
}

/**
 * Creates the schemas the build needs and a fresh, empty `environment` schema. File sources get
 * their views only when they have none yet: the shared source views belong to the released
 * environments, and CI must not re-point them.
 */
export async function prepareCiEnvironment(
  warehouse: Warehouse,
  project: Project,
  environment: string,
): Promise<void> {
  await dropCiSchema(warehouse, environment);
  for (const schema of [SOURCES_SCHEMA, PHYSICAL_SCHEMA, environment]) await warehouse.createSchema(schema);
  const present = new Set((await warehouse.listRelations(SOURCES_SCHEMA)).map((r) => r.name));
  await createSourceViews(
    warehouse,
    [...project.sources.values()].filter((s) => !present.has(s.name)),
  );
}

/** Points the environment's views at `models` (those whose tables exist) in one transaction. */
export async function showCiModels(
  warehouse: Warehouse,
  environment: string,
  models: EnvironmentModels,
): Promise<void> {
  await warehouse.replaceViews(
    Object.entries(models).map(([model, pointer]) => ({
      view: environmentRelation(environment, model),
      sql: `select * from ${warehouse.quoteRelation(physicalTable(pointer.table))}`,
    })),
  );
}

export async function dropCiSchema(warehouse: Warehouse, environment: string): Promise<boolean> {
  if (!(await warehouse.listSchemas()).includes(environment)) return false;
  await warehouse.execute(`DROP SCHEMA IF EXISTS ${warehouse.quoteIdentifier(environment)} CASCADE`);
  return true;
}

/**
 * Drops the physical tables among `tables` (those CI built) that no environment points at, no
 * release recorded and no other reference holds, newest first; forgets them in the state store.
 * Returns the tables dropped.
 */
export async function dropUnreferencedTables(
  services: { readonly state: StateStore; readonly warehouse: Warehouse },
  tables: readonly string[],
): Promise<string[]> {
  const { state, warehouse } = services;
  if (tables.length === 0) return [];
  const referenced = new Set<string>();
  for (const pointer of await state.listPointers())
    for (const m of Object.values(pointer.models)) referenced.add(m.table);
  for (const release of await state.listReleases())
    for (const m of Object.values(release.models)) referenced.add(m.table);
  const records = new Map((await state.getPhysicalTables(tables)).map((r) => [r.name, r]));
  const present = new Map((await warehouse.listRelations(PHYSICAL_SCHEMA)).map((r) => [r.name, r.kind]));
  const dropped: string[] = [];
  for (const table of [...tables].reverse()) {
    const record = records.get(table);
    if (referenced.has(table) || (record !== undefined && record.refcount > 0)) continue;
    const kind = present.get(table);
    if (!kind && !record) continue; // never started (skipped after an upstream failure)
    if (kind) await warehouse.dropRelation(physicalTable(table), kind);
    if (record) await state.deletePhysicalTable(table);
    dropped.push(table);
  }
  return dropped;
}
