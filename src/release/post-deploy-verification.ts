/**
 * The one post-deploy verification path, for the CLI (`apply`, `promote`) and the operator alike:
 * verify the live release (`verifyRelease`), and on a failure open an incident, roll back to the
 * release before (unless `rollback: false`) and resolve the incident once the rollback restored
 * it; on a pass, resolve the environment's open incident. So every failed release is recorded
 * the same way whoever made it. The incidents live in the operator store the project's `state:`
 * names; the caller holds the environment's lock and says how to roll back (the operator also
 * pauses its auto-sync).
 */
import { randomBytes } from 'node:crypto';
import { ConflictError } from '../core/errors.js';
import type { ReleaseRecord } from '../core/release.js';
import type { Fence, IncidentRecord, OperatorStore } from '../state/operator-store.js';
import type { ReleaseServices } from './execute-release.js';
import type { VerifyPolicy } from './verification-verdict.js';
import {
  type ReleaseVerdict,
  recordRollbackFailure,
  rollsBack,
  type VerifyReleaseRequest,
  verifyRelease,
} from './verify-release.js';

/** Where incidents are recorded: the operator store, with the writer's lease term. */
export interface IncidentLog {
  readonly store: Pick<OperatorStore, 'openIncident' | 'setOpenIncident'>;
  readonly fence: Fence;
  readonly now: () => number;
}

export interface PostDeployRequest extends VerifyReleaseRequest {
  readonly policy: VerifyPolicy;
  readonly incidents: IncidentLog;
  /** Rolls the environment back to `to`, under the lock the caller holds; the rollback's release. */
  readonly rollback: (to: string, reason: string) => Promise<ReleaseRecord | undefined>;
  /** Hears the verdict before anything acts on it (the operator's timeline). */
  readonly onVerdict?: (verdict: ReleaseVerdict) => void;
}

export interface PostDeployResult {
  readonly verdict: ReleaseVerdict;
  /** The incident a failure opened (or found open for this release). */
  readonly incident: IncidentRecord | undefined;
  /** The automatic rollback: back to which release, as which (null: nothing to re-point). */
  readonly rollback: { readonly to: string; readonly releaseId: string | null } | undefined;
  /** Why the automatic rollback failed (the release stays live). */
  readonly rollbackError: unknown;
}

/**
 * @example
 * const result = await runPostDeployVerification(session, {
 *   release, policy, project: async () => project, actor: 'ada',
 *   incidents: { store, fence: undefined, now: Date.now },
 *   rollback: async (to, reason) => (await rollbackRelease(session, { environment, to, strategy, actor: 'ada', reason })).outcome?.release,
 * });
 */
export async function runPostDeployVerification(
  services: Pick<ReleaseServices, 'state' | 'warehouse' | 'telemetry'>,
  request: PostDeployRequest,
): Promise<PostDeployResult> {
  const { release, incidents, actor } = request;
  const verdict = await verifyRelease(services, request);
  request.onVerdict?.(verdict);
  if (verdict.passed) {
    await resolveOpenIncident(services, incidents, release.environment, {
      how: `${release.id} passed its verification`,
      actor,
    });
    return { verdict, incident: undefined, rollback: undefined, rollbackError: undefined };
  }
  const reason = verdict.reason ?? `post-deploy verification failed: ${verdict.summary}`;
  const incident = await openIncident(services, incidents, release, reason, actor);
  const to = release.previousReleaseId;
  if (!rollsBack(request.policy, release) || to === undefined) {
    return { verdict, incident, rollback: undefined, rollbackError: undefined };
  }
  try {
    const rolled = await request.rollback(to, reason);
    await resolveOpenIncident(services, incidents, release.environment, {
      how: `restored by the automatic rollback of ${release.id}`,
      actor,
      id: incident.id,
    });
    return { verdict, incident, rollback: { to, releaseId: rolled?.id ?? null }, rollbackError: undefined };
  } catch (error) {
    if (error instanceof ConflictError) throw error;
    await recordRollbackFailure(services.state, release, { actor, error });
    return { verdict, incident, rollback: undefined, rollbackError: error };
  }
}

async function openIncident(
  services: Pick<ReleaseServices, 'state'>,
  incidents: IncidentLog,
  release: ReleaseRecord,
  reason: string,
  actor: string,
): Promise<IncidentRecord> {
  const open = await incidents.store.openIncident(release.environment);
  if (open?.releaseId === release.id) return open;
  const incident: IncidentRecord = {
    id: `inc-${randomBytes(4).toString('hex')}`,
    environment: release.environment,
    releaseId: release.id,
    commit: release.commit?.sha ?? '',
    reason,
    openedAt: new Date(incidents.now()).toISOString(),
  };
  await incidents.store.setOpenIncident(release.environment, incident, incidents.fence);
  await services.state.appendEvent({
    type: 'incident.opened',
    environment: release.environment,
    releaseId: release.id,
    actor,
    data: { summary: `${incident.id}: ${release.environment} ${reason}`, incident },
  });
  return incident;
}

/** Resolves the environment's open incident (only `id`, when given), with time to restore. */
export async function resolveOpenIncident(
  services: Pick<ReleaseServices, 'state'>,
  incidents: IncidentLog,
  environment: string,
  { how, actor, id }: { readonly how: string; readonly actor: string; readonly id?: string },
): Promise<void> {
  const incident = await incidents.store.openIncident(environment);
  if (!incident || (id !== undefined && incident.id !== id)) return;
  await incidents.store.setOpenIncident(environment, undefined, incidents.fence);
  const restoredMs = incidents.now() - Date.parse(incident.openedAt);
  await services.state.appendEvent({
    type: 'incident.resolved',
    environment,
    releaseId: incident.releaseId,
    actor,
    data: { summary: `${incident.id}: ${how}`, incident, restoredMs },
  });
}
