/**
 * What the reconciler does to one environment, each under the environment's lock in the state
 * store: apply a commit (gated by the project's checks), promote from the source environment,
 * roll back (pausing auto-sync), approve, pause and resume, and repair drift. A release switched in
 * an environment with `verify:` is recorded as awaiting its post-deploy verification, and a
 * promotion waits until its source release passed it. Each action records
 * its outcome for the status (`OperatorStore`), annotates the release with its trigger and pull
 * request, and appends to the event log with its actor.
 */

import { type ReleaseCommit, releaseCommit } from '../core/commit.js';
import { ConflictError, errorMessage, WorkFailedError } from '../core/errors.js';
import type { ReleaseInfraStep } from '../core/infra-change.js';
import type { EnvironmentModels, EnvironmentPointer, ReleaseRecord } from '../core/release.js';
import type { CheckResult } from '../quality/check-result.js';
import { applyRelease, applyReleasePlan, desiredModels } from '../release/apply-release.js';
import { checkGate } from '../release/check-gate.js';
import { type LockOptions, withEnvironmentLocks } from '../release/environment-lock.js';
import type { GateResult, ReleaseGate, ReleaseServices } from '../release/execute-release.js';
import { builtTables } from '../release/live-state.js';
import { planRelease } from '../release/plan-release.js';
import { promoteRelease, rollbackRelease } from '../release/promote-release.js';
import type { StepHook } from '../release/release-steps.js';
import { expectVerification } from '../release/verify-release.js';
import type { Fence, OperatorStore, ReleaseMeta } from '../state/operator-store.js';
import type { StateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { approveRelease } from './approve-release.js';
import type { LoadedCommit } from './commit-workspace.js';
import { type DriftItem, detectDrift, repairViews } from './drift.js';
import type { ManagedEnvironment } from './promotion-chain.js';
import type { PassContext, TimelineEntry } from './reconciler.js';

/** How long a release (or a verification) waits for an environment a CLI command holds. */
export const LOCK_WAIT_MS = 30_000;

export interface ReleaseActionsOptions {
  /** Traces the waits for environment locks. */
  readonly telemetry?: Telemetry;
  readonly state: StateStore;
  /**
   * The lease of the environment locks the operator takes: its leader lease time, so a lock a
   * killed leader held expires when its leadership does, and the next leader (on any host: the
   * "holder is gone" fast path only works on the same host) gets it at once. Default 60 s.
   */
  readonly lockLeaseMs?: number;
  readonly store: OperatorStore;
  readonly logger: Logger;
  readonly now: () => number;
  readonly onTimeline?: (entry: TimelineEntry) => void;
  readonly step?: StepHook;
  /**
   * The environment's infrastructure step for releasing `loaded` over the commit `base` the
   * environment shows (src/app wires it); undefined when nothing is to be applied.
   */
  readonly infraFor?: InfraStepFactory;
}

/** What the operator asks for before releasing a commit to an environment. */
export type InfraStepFactory = (request: {
  readonly loaded: LoadedCommit;
  readonly environment: string;
  readonly base: string | undefined;
}) => Promise<ReleaseInfraStep | undefined>;

type PullRequestOf = (sha: string) => Promise<number | null>;

interface RollbackRequest {
  readonly to?: string | undefined;
  readonly reason?: string;
  readonly actor: string;
  readonly fence: Fence;
  /** The commit the environment was asked to show: auto-sync pauses for it. */
  readonly desired: string | undefined;
}

export class ReleaseActions {
  /** Per environment, the pair of commits (shown, promoted) found to need no infrastructure step. */
  readonly #noInfraChange = new Map<string, string>();
  readonly #o: ReleaseActionsOptions;
  readonly #announced = new Set<string>();

  constructor(options: ReleaseActionsOptions) {
    this.#o = options;
  }

  /** How the operator takes an environment's lock for `purpose`. */
  lockOptions(purpose: string): LockOptions {
    const { lockLeaseMs, telemetry } = this.#o;
    return {
      purpose,
      wait: LOCK_WAIT_MS,
      ...(lockLeaseMs === undefined ? {} : { leaseMs: lockLeaseMs }),
      ...(telemetry ? { telemetry } : {}),
    };
  }

  async #infraFor(loaded: LoadedCommit, environment: string): Promise<ReleaseInfraStep | undefined> {
    const { infraFor, state } = this.#o;
    if (!infraFor) return undefined;
    const pointer = await state.getPointer(environment);
    const shown = pointer ? await state.getRelease(pointer.releaseId) : undefined;
    return infraFor({ loaded, environment, base: shown?.commit?.sha });
  }

  /** False while auto-sync is paused for `desired`; a different desired commit resumes it. */
  async checkPause(env: ManagedEnvironment, desired: string, fence: Fence): Promise<boolean> {
    const pause = await this.#o.store.pause(env.name);
    if (!pause) return true;
    if (pause.commit === null || pause.commit === desired) return false;
    await this.#o.store.setPause(env.name, undefined, fence);
    await this.#o.state.appendEvent({
      type: 'sync.resumed',
      environment: env.name,
      actor: 'operator',
      data: {
        summary: `new commit ${desired.slice(0, 10)} resumes auto-sync (paused at ${pause.commit.slice(0, 10)})`,
      },
    });
    return true;
  }

  /** Releases the commit to a root environment, gated by the checks of the models it builds. */
  async apply(
    services: ReleaseServices,
    env: ManagedEnvironment,
    loaded: LoadedCommit,
    ctx: PassContext,
  ): Promise<void> {
    const { state, store } = this.#o;
    const { project, fingerprints, sha, info } = loaded;
    const commit = releaseCommit(info);
    // The loaded commit carries its pull request already: no second look-up in the mirror.
    const pullRequest = info.pullRequest ?? null;
    const actor = ctx.actor ?? `operator (${ctx.trigger})`;
    let gateResult: GateResult | undefined;
    const checks = checkGate({
      project,
      warehouse: services.warehouse,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const gate: ReleaseGate = async function recordingGate(context) {
      gateResult = await checks(context);
      return gateResult;
    };
    const at = () => new Date(this.#o.now()).toISOString();
    try {
      const result = await withEnvironmentLocks(
        state,
        [env.name],
        this.lockOptions(`operator apply ${env.name}`),
        async () => {
          // Under the lock: the infrastructure is compared with the commit the environment shows.
          const infra = await this.#infraFor(loaded, env.name);
          return applyRelease(services, {
            project,
            fingerprints,
            environment: env.name,
            strategy: env.strategy,
            commit,
            actor,
            concurrency: project.config.defaults?.concurrency ?? 4,
            gate,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
            ...(infra ? { infra } : {}),
          });
        },
      );
      const release = result.outcome?.release;
      if (!release) {
        const pointer = await state.getPointer(env.name);
        await store.setLastAttempt(
          env.name,
          {
            commit: sha,
            releaseId: pointer?.releaseId ?? null,
            status: 'unchanged',
            message: null,
            at: at(),
          },
          ctx.fence,
        );
        this.#timeline(env.name, sha, 'unchanged', pointer?.releaseId, 'no model changed');
        return;
      }
      await this.#annotate(release.id, ctx, pullRequest, gateResult, env.name);
      if (env.verify) await expectVerification(state, release, env.verify, this.#o.now());
      await store.setLastAttempt(
        env.name,
        {
          commit: sha,
          releaseId: release.id,
          status: 'succeeded',
          message: gateResult?.summary ?? null,
          at: at(),
        },
        ctx.fence,
      );
      this.#timeline(
        env.name,
        sha,
        'released',
        release.id,
        `${result.plan.build.length} built, ${result.plan.reuse.length} reused; ${gateResult?.summary ?? 'no gate'}`,
      );
    } catch (error) {
      if (error instanceof ConflictError || ctx.signal?.aborted) throw error; // retried later
      const message = errorMessage(error);
      const [latest] = await state.listReleases({ environment: env.name, limit: 1 });
      const failed = latest && latest.commit?.sha === sha && latest.status === 'failed' ? latest : undefined;
      if (failed) await this.#annotate(failed.id, ctx, pullRequest, gateResult, env.name);
      await store.setLastAttempt(
        env.name,
        { commit: sha, releaseId: failed?.id ?? null, status: 'failed', message, at: at() },
        ctx.fence,
      );
      const blocked = gateResult !== undefined && !gateResult.passed;
      await state.appendEvent({
        type: blocked ? 'sync.blocked' : 'sync.failed',
        environment: env.name,
        actor,
        ...(failed ? { releaseId: failed.id } : {}),
        data: { summary: `${sha.slice(0, 10)}: ${message.slice(0, 500)}`, sha },
      });
      this.#timeline(env.name, sha, blocked ? 'blocked' : 'failed', failed?.id, message.split('\n')[0] ?? '');
    }
  }

  /**
   * Promotes the source environment's release once it is soaked and (if required) approved.
   * Returns how long to wait when the soak has not ended yet.
   */
  async promote(
    services: ReleaseServices,
    env: ManagedEnvironment,
    from: string,
    desired: string,
    ctx: PassContext,
    pullRequestOf: PullRequestOf,
    loadCommit?: (sha: string) => Promise<LoadedCommit | undefined>,
  ): Promise<number | undefined> {
    const { state, store } = this.#o;
    const source = await state.getPointer(from);
    if (!source) return undefined;
    const sourceRelease = await state.getRelease(source.releaseId);
    if (sourceRelease?.status !== 'succeeded') return undefined;
    const pointer = await state.getPointer(env.name);
    const at = new Date(this.#o.now()).toISOString();
    // The environment's own infrastructure step for the promoted release's commit, compared with
    // the commit the environment shows (undefined when nothing there is to be applied).
    const promotedSha = sourceRelease.commit?.sha;
    const infraStep = async (): Promise<ReleaseInfraStep | undefined> => {
      if (!this.#o.infraFor || !loadCommit || promotedSha === undefined) return undefined;
      const loaded = await loadCommit(promotedSha);
      return loaded ? this.#infraFor(loaded, env.name) : undefined;
    };
    const same = pointer !== undefined && sameModels(pointer.models, source.models);
    const shownSha = pointer ? (await state.getRelease(pointer.releaseId))?.commit?.sha : undefined;
    // A promotion asks under its locks; the same models are promoted only for the infrastructure.
    // Asked once per pair of commits: an answer of "nothing to apply" holds until either moves, so
    // a pass every few seconds does not check out a commit and run `terraform plan` again.
    const asked = `${shownSha ?? ''}\u0000${promotedSha ?? ''}`;
    let infraPending = !same;
    if (same && shownSha !== promotedSha && this.#noInfraChange.get(env.name) !== asked) {
      infraPending = (await infraStep()) !== undefined;
      if (!infraPending) this.#noInfraChange.set(env.name, asked);
    }
    if (same && !infraPending) {
      if ((await store.lastAttempt(env.name))?.commit !== desired) {
        await store.setLastAttempt(
          env.name,
          { commit: desired, releaseId: pointer.releaseId, status: 'unchanged', message: null, at },
          ctx.fence,
        );
      }
      if (await store.pendingApproval(env.name))
        await store.setPendingApproval(env.name, undefined, ctx.fence);
      return undefined;
    }
    // The source's own post-deploy verification first: a release still being verified waits,
    // one that failed it goes no further (it is being, or was, rolled back there).
    const verification = sourceRelease.verification;
    if (verification?.status === 'failed') return undefined;
    if (verification?.status === 'pending') {
      const dueIn = Date.parse(verification.dueAt) - this.#o.now();
      await this.#announce(`verify:${env.name}:${sourceRelease.id}`, env.name, 'promotion.waiting', {
        summary: `${sourceRelease.id} is verified in ${from} before it goes to ${env.name}`,
      });
      return Math.max(dueIn, 1000);
    }
    const switchedAt = Date.parse(sourceRelease.switchedAt ?? sourceRelease.createdAt);
    const soakLeft = switchedAt + env.soakMs - this.#o.now();
    if (soakLeft > 0) {
      await this.#announce(`soak:${env.name}:${sourceRelease.id}`, env.name, 'promotion.soaking', {
        summary: `${sourceRelease.id} soaks in ${from} for ${Math.ceil(soakLeft / 1000)} s more before ${env.name}`,
      });
      return soakLeft;
    }
    if (env.approval && (await store.approval(env.name))?.releaseId !== sourceRelease.id) {
      if ((await store.pendingApproval(env.name))?.releaseId !== sourceRelease.id) {
        await store.setPendingApproval(
          env.name,
          { releaseId: sourceRelease.id, commit: desired, since: at },
          ctx.fence,
        );
        await state.appendEvent({
          type: 'approval.required',
          environment: env.name,
          releaseId: sourceRelease.id,
          actor: 'operator',
          data: {
            summary: `${env.name} waits for approval of ${sourceRelease.id} (${desired.slice(0, 10)})`,
          },
        });
        this.#timeline(
          env.name,
          desired,
          'blocked',
          sourceRelease.id,
          'waiting for approval (slipway approve)',
        );
      }
      return undefined;
    }
    const actor = ctx.actor ?? `operator (${ctx.trigger})`;
    try {
      const result = await withEnvironmentLocks(
        state,
        [from, env.name],
        this.lockOptions(`operator promote ${from} → ${env.name}`),
        async () => {
          // Under the locks: compared with the commit the environment shows now.
          const infra = infraPending ? await infraStep() : undefined;
          return promoteRelease(services, {
            from,
            to: env.name,
            strategy: env.strategy,
            actor,
            ...(infra ? { infra } : {}),
          });
        },
      );
      const release = result.outcome?.release;
      const pullRequest = await pullRequestOf(desired);
      if (release) {
        await this.#annotate(release.id, ctx, pullRequest, undefined, env.name);
        if (env.verify) await expectVerification(state, release, env.verify, this.#o.now());
      }
      await store.setLastAttempt(
        env.name,
        {
          commit: desired,
          releaseId: release?.id ?? pointer?.releaseId ?? null,
          status: release ? 'succeeded' : 'unchanged',
          message: null,
          at,
        },
        ctx.fence,
      );
      await store.setPendingApproval(env.name, undefined, ctx.fence);
      this.#timeline(env.name, desired, release ? 'promoted' : 'unchanged', release?.id, `from ${from}`);
    } catch (error) {
      if (error instanceof ConflictError || ctx.signal?.aborted) throw error;
      const message = errorMessage(error);
      await store.setLastAttempt(
        env.name,
        { commit: desired, releaseId: null, status: 'failed', message, at },
        ctx.fence,
      );
      await state.appendEvent({
        type: 'sync.failed',
        environment: env.name,
        actor,
        data: { summary: `promotion from ${from} failed: ${message.slice(0, 500)}` },
      });
      this.#timeline(env.name, desired, 'failed', undefined, message.split('\n')[0] ?? '');
    }
    return undefined;
  }

  /** Rolls back under the environment's lock; see `rollbackHeld`. */
  rollback(
    services: ReleaseServices,
    env: ManagedEnvironment,
    request: RollbackRequest,
  ): Promise<ReleaseRecord | undefined> {
    return withEnvironmentLocks(this.#o.state, [env.name], this.lockOptions(`rollback ${env.name}`), () =>
      this.rollbackHeld(services, env, request),
    );
  }

  /**
   * Re-points the environment at the release before (or `to`), records the reason on the
   * release it rolls back, and pauses auto-sync for the commit it was asked to show. The caller
   * holds the environment's lock.
   */
  async rollbackHeld(
    services: ReleaseServices,
    env: ManagedEnvironment,
    request: RollbackRequest,
  ): Promise<ReleaseRecord | undefined> {
    const { state, store } = this.#o;
    const reason = request.reason ?? `rolled back by ${request.actor}`;
    const result = await rollbackRelease(services, {
      environment: env.name,
      ...(request.to === undefined ? {} : { to: request.to }),
      strategy: env.strategy,
      actor: request.actor,
      reason,
    });
    const release = result.outcome?.release;
    const at = new Date(this.#o.now()).toISOString();
    if (release) {
      await store.putReleaseMeta(
        { releaseId: release.id, trigger: 'rollback', pullRequest: null, message: reason },
        request.fence,
      );
    }
    const commit = result.source.commit?.sha ?? '';
    await store.setLastAttempt(
      env.name,
      { commit, releaseId: release?.id ?? result.source.id, status: 'succeeded', message: reason, at },
      request.fence,
    );
    await store.setPause(
      env.name,
      { reason: `rollback: ${reason}`, commit: request.desired ?? null, since: at, by: request.actor },
      request.fence,
    );
    await state.appendEvent({
      type: 'rollback',
      environment: env.name,
      actor: request.actor,
      ...(release ? { releaseId: release.id } : {}),
      data: { summary: `${env.name} rolled back to ${result.source.id} (${commit.slice(0, 10)}): ${reason}` },
    });
    await state.appendEvent({
      type: 'sync.paused',
      environment: env.name,
      actor: request.actor,
      data: {
        summary: `auto-sync of ${env.name} paused until a commit other than ${(request.desired ?? '?').slice(0, 10)} arrives`,
      },
    });
    this.#timeline(env.name, commit, 'rolled back', release?.id, reason);
    return release;
  }

  /** See `approveRelease`, the one approve path. */
  approve(
    env: ManagedEnvironment,
    request: { releaseId?: string; comment?: string; actor: string; fence: Fence },
  ): Promise<string> {
    return approveRelease(this.#o, {
      environment: env,
      releaseId: request.releaseId,
      comment: request.comment,
      actor: request.actor,
      fence: request.fence,
      at: new Date(this.#o.now()),
    });
  }

  async pause(request: { environment: string; reason?: string; actor: string; fence: Fence }): Promise<void> {
    const { store, state } = this.#o;
    if ((await store.pause(request.environment))?.commit === null) {
      throw new ConflictError(`${request.environment} is already paused`);
    }
    const reason = request.reason ?? `paused by ${request.actor}`;
    await store.setPause(
      request.environment,
      { reason, commit: null, since: new Date(this.#o.now()).toISOString(), by: request.actor },
      request.fence,
    );
    await state.appendEvent({
      type: 'sync.paused',
      environment: request.environment,
      actor: request.actor,
      data: { summary: `auto-sync of ${request.environment} paused: ${reason}` },
    });
  }

  async resume(request: { environment: string; actor: string; fence: Fence }): Promise<boolean> {
    const { store, state } = this.#o;
    if (!(await store.pause(request.environment))) return false;
    await store.setPause(request.environment, undefined, request.fence);
    await state.appendEvent({
      type: 'sync.resumed',
      environment: request.environment,
      actor: request.actor,
      data: { summary: `auto-sync of ${request.environment} resumed by ${request.actor}` },
    });
    return true;
  }

  detect(warehouse: Warehouse, pointer: EnvironmentPointer | undefined): Promise<DriftItem[]> {
    return detectDrift(warehouse, pointer);
  }

  /**
   * Puts the environment back on its release: views are re-pointed in one switch; missing tables
   * are rebuilt from the release's commit first (a new release of the same commit).
   */
  async heal(
    services: ReleaseServices,
    env: ManagedEnvironment,
    pointer: EnvironmentPointer,
    drift: readonly DriftItem[],
    loaded: LoadedCommit | undefined,
    fence: Fence,
  ): Promise<void> {
    const { state } = this.#o;
    const tablesMissing = drift.some((d) => d.problem === 'table missing');
    const release = await state.getRelease(pointer.releaseId);
    let healedBy: string | undefined;
    await withEnvironmentLocks(state, [env.name], this.lockOptions(`self-heal ${env.name}`), async () => {
      if (!tablesMissing) {
        await repairViews(services.warehouse, pointer);
        return;
      }
      if (!loaded) {
        throw new WorkFailedError(
          `cannot rebuild ${env.name}: the commit of ${pointer.releaseId} is not available`,
        );
      }
      healedBy = (await this.#rebuild(services, env, pointer, loaded, release?.commit)).id;
    });
    if (healedBy) {
      await this.#o.store.putReleaseMeta(
        {
          releaseId: healedBy,
          trigger: 'manual',
          pullRequest: null,
          message: 'self-heal: rebuilt missing tables',
        },
        fence,
      );
    }
    await state.appendEvent({
      type: 'drift.healed',
      environment: env.name,
      actor: 'operator (self-heal)',
      ...(healedBy ? { releaseId: healedBy } : {}),
      data: {
        summary: `${drift.length} drifted relation${drift.length === 1 ? '' : 's'} of ${env.name} put back on ${pointer.releaseId}${healedBy ? ` (rebuilt as ${healedBy})` : ''}`,
        drift,
      },
    });
    this.#timeline(
      env.name,
      release?.commit?.sha ?? '',
      'healed',
      healedBy ?? pointer.releaseId,
      `${drift.length} drifted relations repaired`,
    );
  }

  /** A release of the same commit planned as if the environment were empty: builds only what is gone. */
  async #rebuild(
    services: ReleaseServices,
    env: ManagedEnvironment,
    pointer: EnvironmentPointer,
    loaded: LoadedCommit,
    commit: ReleaseCommit | undefined,
  ): Promise<ReleaseRecord> {
    const { state, warehouse } = services;
    await warehouse.environments.forget(env.name);
    const plan = planRelease({
      environment: env.name,
      strategy: env.strategy,
      commit,
      desired: desiredModels(loaded.project, loaded.fingerprints),
      live: { releaseId: pointer.releaseId, models: {}, definitions: new Map() },
      builtTables: await builtTables(state, warehouse),
    });
    // Carried out by the one builder, exactly as planned (the plan assumes nothing is shown).
    const outcome = await applyReleasePlan(services, plan, {
      project: loaded.project,
      fingerprints: loaded.fingerprints,
      actor: 'operator (self-heal)',
      concurrency: loaded.project.config.defaults?.concurrency ?? 4,
    });
    if (!outcome) throw new WorkFailedError(`nothing to rebuild in ${env.name}`);
    return outcome.release;
  }

  async #annotate(
    releaseId: string,
    ctx: PassContext,
    pullRequest: number | null,
    gate: GateResult | undefined,
    environment: string,
  ): Promise<void> {
    const meta: ReleaseMeta = {
      releaseId,
      trigger: ctx.trigger,
      pullRequest,
      message: gate?.summary ?? null,
    };
    await this.#o.store.putReleaseMeta(meta, ctx.fence);
    const details = gate?.details as { results?: readonly CheckResult[] } | undefined;
    if (details?.results) {
      const at = new Date(this.#o.now()).toISOString();
      await this.#o.store.putCheckResults(
        details.results.map((r) => ({
          id: `${releaseId}:${r.id}`,
          check: r.id,
          environment,
          releaseId,
          severity: r.severity,
          status: r.status,
          observed:
            r.failingRows === undefined
              ? r.message
              : `${r.failingRows} failing of ${r.totalRows ?? '?'} rows`,
          at,
        })),
        ctx.fence,
      );
    }
  }

  async #announce(key: string, environment: string, type: string, data: { summary: string }): Promise<void> {
    if (this.#announced.has(key)) return;
    this.#announced.add(key);
    await this.#o.state.appendEvent({ type, environment, actor: 'operator', data });
  }

  #timeline(
    environment: string,
    commit: string,
    outcome: TimelineEntry['outcome'],
    releaseId: string | undefined,
    message: string,
  ): void {
    this.#o.logger.info({ environment, commit, outcome, releaseId }, message);
    this.#o.onTimeline?.({ at: this.#o.now(), environment, commit, outcome, releaseId, message });
  }
}

function sameModels(a: EnvironmentModels, b: EnvironmentModels): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k]?.table === b[k]?.table);
}
