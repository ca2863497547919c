/**
 * `gc`: drops the physical tables nothing needs — no environment points at them, none of the
 * last N releases of any environment used them, no unfinished release is building them — and
 * the half-built tables a killed release left. A release's strategy says whether the releases
 * before it are kept for rollback: a `direct` release keeps none, so the kept releases of an
 * environment stop at its latest direct one. Tables the state store has never heard of are
 * reported, never dropped.
 */
import type { ReleaseServices } from './execute-release.js';
import { PHYSICAL_SCHEMA, physicalTable } from './physical-layout.js';
import { strategyFor } from './strategies/strategy-for.js';

export interface GarbageReport {
  readonly dropped: readonly { readonly table: string; readonly reason: 'unreferenced' | 'half-built' }[];
  readonly kept: number;
  /** In the physical schema but unknown to the state store. */
  readonly unmanaged: readonly string[];
  readonly dryRun: boolean;
}

export async function collectGarbage(
  services: Pick<ReleaseServices, 'state' | 'warehouse'>,
  {
    keep,
    dryRun,
    environments,
  }: { readonly keep: number; readonly dryRun: boolean; readonly environments: readonly string[] },
): Promise<GarbageReport> {
  const { state, warehouse } = services;
  const needed = new Set<string>();
  const envs = new Set([...environments, ...(await state.listPointers()).map((p) => p.environment)]);
  for (const pointer of await state.listPointers())
    for (const m of Object.values(pointer.models)) needed.add(m.table);
  for (const environment of envs) {
    const releases = await state.listReleases({ environment });
    // Releases that were switched in (rolled back since or not): what a rollback can name.
    const recent = keptReleases(
      releases.filter((r) => r.status === 'succeeded' || r.status === 'rolled_back'),
      keep,
    );
    const unfinished = releases.filter((r) => r.status === 'building' || r.status === 'switching');
    for (const r of [...recent, ...unfinished]) for (const m of Object.values(r.models)) needed.add(m.table);
  }
  const relations = await warehouse.listRelations(PHYSICAL_SCHEMA);
  const present = new Map(relations.map((r) => [r.name, r.kind]));
  const records = await state.getPhysicalTables();
  const known = new Set(records.map((r) => r.name));
  const dropped: { table: string; reason: 'unreferenced' | 'half-built' }[] = [];
  for (const record of records) {
    if (record.refcount > 0 || needed.has(record.name)) continue;
    dropped.push({ table: record.name, reason: record.status === 'built' ? 'unreferenced' : 'half-built' });
  }
  if (!dryRun) {
    for (const { table } of dropped) {
      const kind = present.get(table);
      if (kind) await warehouse.dropRelation(physicalTable(table), kind);
      await state.deletePhysicalTable(table);
    }
  }
  return {
    dropped,
    kept: records.length - dropped.length,
    unmanaged: relations.map((r) => r.name).filter((n) => !known.has(n)),
    dryRun,
  };
}

/**
 * The newest `keep` switched-in releases, stopping at the first (newest) one whose strategy
 * keeps nothing before it: the releases it replaced were released for gc when it switched.
 */
function keptReleases<T extends { readonly strategy: string }>(switchedIn: readonly T[], keep: number): T[] {
  const kept: T[] = [];
  for (const release of switchedIn) {
    if (kept.length >= keep) break;
    kept.push(release);
    if (!strategyFor(release.strategy).keepsPrevious) break;
  }
  return kept;
}
