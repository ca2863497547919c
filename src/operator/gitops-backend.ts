/**
 * The operator's API backend: reads come from the state store and the operator store (so a
 * standby answers them too), actions go through the reconciler's queue and are stamped with the
 * leader's lease term, so a deposed leader cannot act. Every action is in the audit log with the
 * API token's name as its actor.
 */
import { ConflictError, SlipwayError } from '../core/errors.js';
import type { ReleaseRecord } from '../core/release.js';
import { pullRequestNumber } from '../git/commit-log.js';
import type { ReleaseMeta } from '../state/operator-store.js';
import type { RunRecord, StateStore } from '../state/state-store.js';
import type { SyncRequester } from './operator.js';
import type {
  ActionResult,
  Actor,
  CheckResult,
  CommitRecord,
  EnvironmentStatus,
  EventQuery,
  ListQuery,
  OperatorBackend,
  OperatorEvent,
  Release,
  Run,
} from './operator-backend.js';
import type { GitOpsReconciler } from './reconciler.js';

export interface GitOpsBackendOptions {
  readonly reconciler: GitOpsReconciler;
  readonly sync: SyncRequester;
  /** The lease term while this process leads; undefined on a standby. */
  readonly leaderTerm: () => number | undefined;
}

export class GitOpsBackend implements OperatorBackend {
  readonly #o: GitOpsBackendOptions;

  constructor(options: GitOpsBackendOptions) {
    this.#o = options;
  }

  async listEnvironments(): Promise<readonly EnvironmentStatus[]> {
    const names = this.#o.reconciler.environments.map((e) => e.name);
    return Promise.all(names.map((n) => this.getEnvironment(n)));
  }

  async getEnvironment(name: string): Promise<EnvironmentStatus> {
    const { reconciler } = this.#o;
    const env = reconciler.environments.find((e) => e.name === name);
    if (!env) throw new SlipwayError('not_found', `unknown environment '${name}'`);
    const { state, store } = reconciler;
    const pointer = await state.getPointer(name);
    const release = pointer ? await state.getRelease(pointer.releaseId) : undefined;
    const desired = (await reconciler.desiredCommit(name)) ?? null;
    const attempt = await store.lastAttempt(name);
    const drift = reconciler.drift(name);
    const pause = await store.pause(name);
    const pending = await store.pendingApproval(name);
    const meta = release ? await store.releaseMeta(release.id) : undefined;
    const verification = await latestVerification(state, name);
    const failed = attempt?.status === 'failed' && attempt.commit === desired;
    const retry = reconciler.retry(name);
    const waiting = retry?.commit === desired ? retry : undefined;
    let sync: EnvironmentStatus['sync'];
    if (reconciler.isProgressing(name)) sync = 'Progressing';
    // A sync of the desired commit failed: Degraded, even before the first release (no data yet).
    else if (failed || (pointer && drift.length > 0)) sync = 'Degraded';
    else if (!pointer) sync = desired ? 'OutOfSync' : 'Unknown';
    else if (desired !== null && (attempt?.commit === desired || release?.commit?.sha === desired))
      sync = 'Synced';
    else sync = 'OutOfSync';
    return {
      name,
      sync,
      reason: degradedReason(sync, failed ? (waiting?.reason ?? attempt?.message) : undefined, drift),
      retry: waiting ? { attempt: waiting.attempt, at: waiting.retryAt } : null,
      policy: env.policy,
      promoteFrom: env.promoteFrom ?? null,
      desiredCommit: desired,
      live: release ? { releaseId: release.id, commit: this.#commit(release, meta) } : null,
      paused: pause ? { reason: pause.reason, commit: pause.commit, since: pause.since, by: pause.by } : null,
      pendingApproval: pending ?? null,
      drift: drift.map((d) => ({ relation: d.relation, problem: d.problem })),
      verification: verification?.verification
        ? {
            releaseId: verification.id,
            commit: verification.commit?.sha ?? '',
            status: verification.verification.status,
            dueAt: verification.verification.dueAt,
            summary: verification.verification.summary ?? null,
            at: verification.verification.at,
          }
        : null,
      updatedAt: attempt?.at ?? pointer?.updatedAt ?? new Date().toISOString(),
    };
  }

  async listReleases(query: ListQuery): Promise<readonly Release[]> {
    const releases = await this.#o.reconciler.state.listReleases({
      ...(query.environment ? { environment: query.environment } : {}),
      limit: query.limit,
    });
    return Promise.all(releases.map((r) => this.#release(r)));
  }

  async getRelease(id: string): Promise<Release> {
    const release = await this.#o.reconciler.state.getRelease(id);
    if (!release) throw new SlipwayError('not_found', `unknown release '${id}'`);
    return this.#release(release);
  }

  async listRuns(query: ListQuery): Promise<readonly Run[]> {
    const runs = await this.#o.reconciler.state.listRuns({
      ...(query.environment ? { environment: query.environment } : {}),
      limit: query.limit,
    });
    return runs.map(runOf);
  }

  async listCheckResults(
    query: ListQuery & { readonly releaseId?: string },
  ): Promise<readonly CheckResult[]> {
    const results = await this.#o.reconciler.store.checkResults({
      ...(query.environment ? { environment: query.environment } : {}),
      ...(query.releaseId ? { releaseId: query.releaseId } : {}),
      limit: query.limit,
    });
    return results.map((r) => ({ ...r, runId: null }));
  }

  async listEvents(query: EventQuery): Promise<readonly OperatorEvent[]> {
    const events = await this.#o.reconciler.state.listEvents({
      ...(query.environment ? { environment: query.environment } : {}),
      ...(query.after === undefined ? {} : { afterSeq: query.after }),
      limit: query.limit,
    });
    return events.map((e) => {
      const data = (e.data ?? {}) as { summary?: unknown };
      return {
        seq: e.seq,
        at: e.at,
        type: e.type,
        environment: e.environment ?? null,
        actor: e.actor ?? null,
        message: typeof data.summary === 'string' ? data.summary : (e.releaseId ?? e.type),
      };
    });
  }

  async sync(request: { readonly environment?: string; readonly actor: Actor }): Promise<ActionResult> {
    this.#term();
    if (request.environment !== undefined) await this.getEnvironment(request.environment);
    await this.#audit('sync.requested', request.environment, request.actor, 'sync requested');
    this.#o.reconciler.requestManual(request.environment);
    this.#o.sync.notify('manual');
    return {
      action: 'sync',
      environment: request.environment ?? null,
      accepted: true,
      message: `fetching the branch and reconciling ${request.environment ?? 'every environment'}`,
      releaseId: null,
    };
  }

  async approve(request: {
    readonly environment: string;
    readonly releaseId?: string;
    readonly comment?: string;
    readonly actor: Actor;
  }): Promise<ActionResult> {
    const fence = this.#term();
    await this.getEnvironment(request.environment);
    const result = await this.#o.reconciler.approve({
      environment: request.environment,
      ...(request.releaseId === undefined ? {} : { releaseId: request.releaseId }),
      ...(request.comment === undefined ? {} : { comment: request.comment }),
      actor: actorName(request.actor),
      fence,
    });
    return {
      action: 'approve',
      environment: request.environment,
      accepted: true,
      message: result.promoted
        ? `approved ${result.releaseId}; ${request.environment} now shows ${result.promoted.id}`
        : `approved ${result.releaseId}`,
      releaseId: result.promoted?.id ?? result.releaseId,
    };
  }

  async rollback(request: {
    readonly environment: string;
    readonly to?: string;
    readonly reason?: string;
    readonly actor: Actor;
  }): Promise<ActionResult> {
    const fence = this.#term();
    await this.getEnvironment(request.environment);
    const release = await this.#o.reconciler.rollback({
      environment: request.environment,
      ...(request.to === undefined ? {} : { to: request.to }),
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      actor: actorName(request.actor),
      fence,
    });
    return {
      action: 'rollback',
      environment: request.environment,
      accepted: true,
      message: release
        ? `${request.environment} rolled back as ${release.id}; auto-sync paused until the next commit`
        : `${request.environment} already showed that release; auto-sync paused until the next commit`,
      releaseId: release?.id ?? null,
    };
  }

  async pause(request: {
    readonly environment: string;
    readonly reason?: string;
    readonly actor: Actor;
  }): Promise<ActionResult> {
    const fence = this.#term();
    await this.getEnvironment(request.environment);
    await this.#o.reconciler.pause({
      environment: request.environment,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      actor: actorName(request.actor),
      fence,
    });
    return {
      action: 'pause',
      environment: request.environment,
      accepted: true,
      message: `auto-sync of ${request.environment} paused`,
      releaseId: null,
    };
  }

  async resume(request: { readonly environment: string; readonly actor: Actor }): Promise<ActionResult> {
    const fence = this.#term();
    await this.getEnvironment(request.environment);
    const resumed = await this.#o.reconciler.resume({
      environment: request.environment,
      actor: actorName(request.actor),
      fence,
    });
    if (!resumed) throw new ConflictError(`${request.environment} is not paused`);
    this.#o.sync.notify('manual');
    return {
      action: 'resume',
      environment: request.environment,
      accepted: true,
      message: `auto-sync of ${request.environment} resumed`,
      releaseId: null,
    };
  }

  #term(): number {
    const term = this.#o.leaderTerm();
    if (term === undefined) {
      throw new ConflictError('this operator is a standby; ask the leader', {
        hint: 'the leader is the process whose /healthz says state: leader',
      });
    }
    return term;
  }

  async #audit(type: string, environment: string | undefined, actor: Actor, summary: string): Promise<void> {
    await this.#o.reconciler.state.appendEvent({
      type,
      ...(environment ? { environment } : {}),
      actor: actorName(actor),
      data: { summary, role: actor.role },
    });
  }

  /** `meta`: the release's annotation, looked up once by the caller. */
  #commit(release: ReleaseRecord, meta: ReleaseMeta | undefined): CommitRecord {
    return {
      sha: release.commit?.sha ?? '',
      author: release.commit?.author ?? '',
      authoredAt: release.commit?.time ?? release.createdAt,
      message: release.commit?.message ?? '',
      // The annotation, else the merge message itself (a release made by the CLI, or one a
      // moment old whose annotation is being written).
      pullRequest: meta?.pullRequest ?? pullRequestNumber(release.commit?.message ?? '') ?? null,
    };
  }

  async #release(release: ReleaseRecord): Promise<Release> {
    const meta = await this.#o.reconciler.store.releaseMeta(release.id);
    const status: Release['status'] =
      release.status === 'building' || release.status === 'switching'
        ? 'progressing'
        : release.status === 'abandoned'
          ? 'aborted'
          : release.status;
    const verification = release.verification;
    const failedVerification =
      verification?.status === 'failed'
        ? `post-deploy verification failed: ${verification.summary ?? ''}`
        : undefined;
    return {
      id: release.id,
      environment: release.environment,
      status,
      strategy: release.strategy,
      commit: this.#commit(release, meta),
      trigger: meta?.trigger ?? (release.kind === 'rollback' ? 'rollback' : 'manual'),
      actor: release.actor,
      startedAt: release.createdAt,
      finishedAt: release.finishedAt ?? null,
      // Why it is not plainly succeeded comes first: its error, its rollback, its failed verification.
      message: release.error ?? release.rolledBack?.reason ?? failedVerification ?? meta?.message ?? null,
      rolledBackBy: release.rolledBack?.by ?? null,
      verification: verification
        ? {
            status: verification.status,
            summary: verification.summary ?? null,
            dueAt: verification.dueAt,
            at: verification.at,
          }
        : null,
    };
  }
}

/**
 * The environment's verification recorded or settled last (what its status shows): after an
 * automatic rollback, the failed one of the release rolled back, not the rollback's (none).
 */
async function latestVerification(
  state: StateStore,
  environment: string,
): Promise<ReleaseRecord | undefined> {
  const recent = await state.listReleases({ environment, limit: 20 });
  let latest: ReleaseRecord | undefined;
  for (const release of recent) {
    const at = release.verification?.at;
    if (at !== undefined && (latest?.verification === undefined || at > latest.verification.at))
      latest = release;
  }
  return latest;
}

/** How an API caller appears in the audit log: `api:<token name> (<role>)`. */
export function actorName(actor: Actor): string {
  return `api:${actor.name}`;
}

function runOf(run: RunRecord): Run {
  return {
    id: run.id,
    environment: run.environment,
    releaseId: run.releaseId,
    status: run.status,
    trigger: run.actor.startsWith('scheduler')
      ? run.actor.includes('catch-up')
        ? 'catch_up'
        : 'schedule'
      : 'manual',
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    message: run.error ?? null,
  };
}

/** Why an environment reads Degraded, in one line: the failed sync's message, else the drift. */
function degradedReason(
  sync: EnvironmentStatus['sync'],
  failure: string | null | undefined,
  drift: readonly { relation: string; problem: string }[],
): string | null {
  if (sync !== 'Degraded') return null;
  const first = failure?.split('\n').find((line) => line.trim() !== '');
  if (first) return first.trim().slice(0, 500);
  if (drift.length > 0) return `drift: ${drift.map((d) => `${d.relation} ${d.problem}`).join('; ')}`;
  return null;
}
