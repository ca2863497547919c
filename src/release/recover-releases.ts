/**
 * Finishing what a killed release left behind, before anything else touches the environment
 * (the caller holds its lock). A release stopped after the warehouse switch committed is
 * completed in the state store (the warehouse says the environment shows it); one stopped
 * before is marked abandoned — the environment still shows the old release, and the tables it
 * built stay recorded for the next attempt to reuse. Half-built tables are never in a pointer.
 */
import type { StateStore } from '../state/state-store.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export interface RecoveryAction {
  readonly releaseId: string;
  readonly outcome: 'completed' | 'abandoned';
}

export async function recoverEnvironment(
  state: StateStore,
  warehouse: Warehouse,
  environment: string,
): Promise<RecoveryAction[]> {
  const unfinished = await state.unfinishedReleases(environment);
  if (unfinished.length === 0) return [];
  const shown = await warehouse.environments.switchedRelease(environment);
  const actions: RecoveryAction[] = [];
  for (const release of unfinished) {
    if (release.id === shown) {
      await state.completeRelease({
        environment,
        releaseId: release.id,
        models: release.models,
        switchedAt: new Date().toISOString(),
      });
      actions.push({ releaseId: release.id, outcome: 'completed' });
    } else {
      await state.setReleaseStatus(release.id, 'abandoned', {
        error: 'interrupted before the switch; the environment kept its previous release',
      });
      actions.push({ releaseId: release.id, outcome: 'abandoned' });
    }
  }
  return actions;
}
