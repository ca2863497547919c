/**
 * When each environment's models were last written, from the state store: the build of the
 * physical table an environment points at (a promotion points at the same table, so its data is
 * as old as that build), or a later run that rebuilt or appended to it. Read at each scrape for
 * `slipway_model_data_age_seconds`; views hold no data of their own and are left out.
 */

import type { StateStore } from '../state/state-store.js';
import type { ModelWrite } from '../telemetry/metrics/scraped-gauges.js';

interface RunModel {
  readonly model?: unknown;
  readonly table?: unknown;
  readonly action?: unknown;
}

export function modelWritesFrom(state: StateStore): () => Promise<readonly ModelWrite[]> {
  return async function readModelWrites() {
    const pointers = await state.listPointers();
    const tables = new Map(
      (
        await state.getPhysicalTables(pointers.flatMap((p) => Object.values(p.models).map((m) => m.table)))
      ).map((t) => [t.name, t]),
    );
    const out: ModelWrite[] = [];
    for (const pointer of pointers) {
      const ranAt = new Map<string, number>();
      for (const run of await state.listRuns({ environment: pointer.environment, limit: 20 })) {
        if (!run.finishedAt || !Array.isArray(run.models)) continue;
        const at = Date.parse(run.finishedAt);
        for (const m of run.models as RunModel[]) {
          if ((m.action === 'rebuilt' || m.action === 'incremental') && typeof m.table === 'string') {
            ranAt.set(m.table, Math.max(ranAt.get(m.table) ?? 0, at));
          }
        }
      }
      for (const [model, target] of Object.entries(pointer.models)) {
        const table = tables.get(target.table);
        if (!table || table.kind === 'view' || !table.builtAt) continue;
        const writtenAtMs = Math.max(Date.parse(table.builtAt), ranAt.get(target.table) ?? 0);
        out.push({ environment: pointer.environment, model, writtenAtMs });
      }
    }
    return out;
  };
}
