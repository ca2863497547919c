/**
 * The Git-Ops reconcile loop: compare what each managed environment should show (the branch head
 * for the root of the promotion chain, the source environment's release for the others) with
 * what it shows, then sync — `applyRelease` with the check gate for a root, `promoteRelease`
 * (nothing rebuilt) for the rest once the source is green, soaked and approved. Rollbacks pause
 * the environment's auto-sync until a new commit arrives; drift is looked for on every pass and
 * repaired where `self_heal` is set. An environment with `verify:` is verified after each switch
 * (`PostDeployVerifier`) and rolled back automatically when its live state fails. Every pass,
 * action and outcome is appended to the event log with its actor, and every release is annotated
 * with its trigger and pull request. A periodic pass needs only the commit's configuration; the
 * whole project is loaded when a release or a run needs it.
 *
 * One thing at a time: commits, API actions and periodic refreshes run through one queue, and
 * each release also holds its environment's lock in the state store, so a CLI command run beside
 * the operator is told the environment is busy.
 */

import type { Commit as CommitInfo } from '../core/commit.js';
import { errorMessage, SlipwayError, WorkFailedError } from '../core/errors.js';
import type { EnvironmentPointer, ReleaseRecord } from '../core/release.js';
import type { ReleaseServices } from '../release/execute-release.js';
import type { StepHook } from '../release/release-steps.js';
import type { Fence, OperatorStore } from '../state/operator-store.js';
import type { StateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { CommitConfig, CommitWorkspace, LoadedCommit } from './commit-workspace.js';
import type { DriftItem } from './drift.js';
import type { CommitsEvent, SyncTrigger } from './git-watcher.js';
import type { Reconciler } from './operator.js';
import { PostDeployVerifier } from './post-deploy-verifier.js';
import { type ManagedEnvironment, promotionChain } from './promotion-chain.js';
import { type InfraStepFactory, ReleaseActions } from './release-actions.js';
import { isTransientFailure, retryDelayMs } from './transient-failure.js';

/** One line of the release timeline (the demo prints these; tests wait on them). */
export interface TimelineEntry {
  readonly at: number;
  readonly environment: string;
  readonly commit: string;
  readonly outcome:
    | 'released'
    | 'promoted'
    | 'unchanged'
    | 'blocked'
    | 'failed'
    | 'verify failed'
    | 'rolled back'
    | 'healed';
  readonly releaseId: string | undefined;
  readonly message: string;
}

export interface GitOpsReconcilerOptions {
  readonly state: StateStore;
  readonly store: OperatorStore;
  readonly workspace: CommitWorkspace;
  /** Looks a commit up in the mirror (author, message, pull request). */
  readonly commitInfo: (sha: string) => Promise<CommitInfo>;
  /** The branch head the mirror last fetched, when known. */
  readonly head: () => Promise<string | undefined>;
  /** Opens the warehouse for writing (called when the operator first needs it, as leader). */
  readonly openWarehouse: (commit: CommitConfig) => Promise<Warehouse>;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly step?: StepHook;
  /** Asks the operator for another pass later (a soak ends). */
  readonly requestPass?: (afterMs: number) => void;
  readonly onTimeline?: (entry: TimelineEntry) => void;
  /** Called after each pass over the environments (the runtime starts the scheduler then). */
  readonly onPass?: () => void;
  readonly now?: () => number;
  /**
   * Close the warehouse after this long without work (default 1 s; 0 keeps it open): an idle
   * operator holds no engine memory, and read-only commands can open the file meanwhile.
   */
  readonly idleCloseMs?: number;
  /** The lease of the environment locks it takes (the runtime passes its leader lease time). */
  readonly lockLeaseMs?: number;
  /** The infrastructure step of a release (src/app wires Terraform); none without it. */
  readonly infraFor?: InfraStepFactory;
  /** First retry of a sync that failed for a transient cause (doubling after; default 5 s). */
  readonly retryBaseMs?: number;
}

/** A root environment's sync waiting to be retried (it failed for a cause that may pass). */
export interface SyncRetry {
  readonly commit: string;
  readonly attempt: number;
  readonly retryAt: string;
  readonly reason: string;
}

export interface PassContext {
  readonly trigger: SyncTrigger;
  readonly fence: Fence;
  readonly signal?: AbortSignal;
  /** Environments a manual sync names (manual-policy environments sync only when named). */
  readonly manual?: ReadonlySet<string> | 'all';
  /** Who asked, when a person did (an approval); default `operator (<trigger>)`. */
  readonly actor?: string;
}

export class GitOpsReconciler implements Reconciler {
  readonly #o: GitOpsReconcilerOptions;
  readonly #actions: ReleaseActions;
  readonly #verifier: PostDeployVerifier;
  #queue: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #warehouse: Warehouse | undefined;
  #opening: Promise<Warehouse> | undefined;
  /** Reads running on the warehouse (query serving): the idle close waits for them. */
  #reading = 0;
  #readsDone: Promise<void> = Promise.resolve();
  #readsDrained: () => void = () => {};
  /** The commit being reconciled: its configuration (environments, warehouse) at least… */
  #current: CommitConfig | undefined;
  /** …and its whole project once something needed it (a release, a scheduled run). */
  #loaded: LoadedCommit | undefined;
  #manual: Set<string> | 'all' | undefined;
  readonly #progressing = new Set<string>();
  readonly #drift = new Map<string, readonly DriftItem[]>();
  readonly #reported = new Map<string, string>();
  readonly #passTimers = new Set<string>();
  readonly #retries = new Map<string, SyncRetry>();

  constructor(options: GitOpsReconcilerOptions) {
    this.#o = options;
    this.#actions = new ReleaseActions({
      state: options.state,
      store: options.store,
      logger: options.logger,
      telemetry: options.telemetry,
      now: options.now ?? Date.now,
      ...(options.lockLeaseMs === undefined ? {} : { lockLeaseMs: options.lockLeaseMs }),
      ...(options.onTimeline ? { onTimeline: options.onTimeline } : {}),
      ...(options.step ? { step: options.step } : {}),
      ...(options.infraFor ? { infraFor: options.infraFor } : {}),
    });
    this.#verifier = new PostDeployVerifier({
      state: options.state,
      store: options.store,
      actions: this.#actions,
      load: (sha) => options.workspace.load(sha),
      logger: options.logger,
      now: options.now ?? Date.now,
      ...(options.onTimeline ? { onTimeline: options.onTimeline } : {}),
    });
  }

  get state(): StateStore {
    return this.#o.state;
  }

  get store(): OperatorStore {
    return this.#o.store;
  }

  /** The environments of the promotion chain, as the last loaded commit declares them. */
  get environments(): readonly ManagedEnvironment[] {
    return this.#current ? promotionChain(this.#current.config) : [];
  }

  isProgressing(environment: string): boolean {
    return this.#progressing.has(environment);
  }

  /** The retry waiting for an environment whose last sync failed for a transient cause. */
  retry(environment: string): SyncRetry | undefined {
    return this.#retries.get(environment);
  }

  drift(environment: string): readonly DriftItem[] {
    return this.#drift.get(environment) ?? [];
  }

  async lastHandledCommit(): Promise<string | undefined> {
    return this.#o.store.lastHandledCommit();
  }

  /** The commit a root environment follows: the head being reconciled, else the last handled. */
  async branchHead(): Promise<string | undefined> {
    return this.#current?.sha ?? (await this.#o.store.lastHandledCommit());
  }

  /** Marks environments for the next manual pass (a `sync` through the API). */
  requestManual(environment: string | undefined): void {
    if (environment === undefined || this.#manual === 'all') {
      this.#manual = 'all';
      return;
    }
    const named = this.#manual ?? new Set<string>();
    named.add(environment);
    this.#manual = named;
  }

  async reconcile(event: CommitsEvent, context: { readonly signal: AbortSignal; readonly term: number }) {
    await this.#exclusive(async () => {
      const manual = event.trigger === 'manual' ? (this.#manual ?? 'all') : undefined;
      this.#manual = undefined;
      const ctx: PassContext = {
        trigger: event.trigger,
        fence: context.term,
        signal: context.signal,
        ...(manual ? { manual } : {}),
      };
      const skipped = event.commits.slice(0, -1).map((c) => c.sha);
      await this.#o.state.appendEvent({
        type: 'sync.started',
        actor: `operator (${event.trigger})`,
        data: {
          summary: `${event.trigger}: ${event.sha.slice(0, 10)} (${event.totalCommits} new commit${event.totalCommits === 1 ? '' : 's'})`,
          sha: event.sha,
          previous: event.previous ?? null,
          forced: event.forced,
          commits: event.totalCommits,
          // Commits a burst coalesced: recorded, released as part of the newest head.
          coalesced: skipped.slice(-50),
          coalescedCount: Math.max(0, event.totalCommits - 1),
        },
      });
      let loaded: LoadedCommit;
      try {
        loaded = await this.#o.workspace.load(event.sha);
      } catch (error) {
        await this.#projectFailed(event.sha, error, ctx);
        await this.#o.store.setLastHandledCommit(event.sha, context.term);
        return;
      }
      this.#current = { sha: loaded.sha, config: loaded.project.config };
      this.#loaded = loaded;
      try {
        await this.#pass(ctx);
      } catch (error) {
        // Not handled: the watcher offers the same commits again at the next trigger.
        await this.#o.state.appendEvent({
          type: 'sync.deferred',
          actor: `operator (${event.trigger})`,
          data: {
            summary: `${event.sha.slice(0, 10)} not synced yet: ${errorMessage(error)}`,
            sha: event.sha,
          },
        });
        throw error;
      }
      await this.#o.store.setLastHandledCommit(event.sha, context.term);
      this.#o.onPass?.();
    });
  }

  /**
   * A pass without a new commit (each poll interval, after an approval): promotions waiting for
   * a soak or an approval, and drift.
   */
  refresh(fence: Fence, trigger: SyncTrigger = 'poll'): Promise<void> {
    return this.#exclusive(async () => {
      if (!(await this.#ensureCurrent())) return;
      // Root environments sync here only when a retry of theirs came due.
      const now = (this.#o.now ?? Date.now)();
      const due = new Set(
        [...this.#retries].filter(([, r]) => Date.parse(r.retryAt) <= now + 100).map(([name]) => name),
      );
      await this.#pass({ trigger, fence }, { rootsToo: false, due });
      this.#o.onPass?.();
    });
  }

  /** Rolls an environment back and pauses its auto-sync for the commit it was asked to show. */
  rollback(request: {
    environment: string;
    to?: string;
    reason?: string;
    actor: string;
    fence: Fence;
  }): Promise<ReleaseRecord | undefined> {
    return this.#exclusive(async () => {
      await this.#ensureCurrent();
      const env = this.#managed(request.environment);
      const desired = await this.#desiredCommit(env);
      const services = await this.#services();
      return this.#actions.rollback(services, env, { ...request, desired });
    });
  }

  /** Approves the release waiting at the environment's gate and promotes it at once. */
  approve(request: {
    environment: string;
    releaseId?: string;
    comment?: string;
    actor: string;
    fence: Fence;
  }): Promise<{ releaseId: string; promoted: ReleaseRecord | undefined }> {
    return this.#exclusive(async () => {
      await this.#ensureCurrent();
      const env = this.#managed(request.environment);
      const releaseId = await this.#actions.approve(env, request);
      const before = (await this.#o.state.getPointer(env.name))?.releaseId;
      await this.#syncEnvironment(env, {
        trigger: 'manual',
        fence: request.fence,
        manual: 'all',
        actor: `operator (approved by ${request.actor})`,
      });
      const after = await this.#o.state.getPointer(env.name);
      const promoted =
        after && after.releaseId !== before ? await this.#o.state.getRelease(after.releaseId) : undefined;
      return { releaseId, promoted };
    });
  }

  pause(request: { environment: string; reason?: string; actor: string; fence: Fence }): Promise<void> {
    return this.#exclusive(async () => this.#actions.pause(request));
  }

  resume(request: { environment: string; actor: string; fence: Fence }): Promise<boolean> {
    return this.#exclusive(async () => this.#actions.resume(request));
  }

  /** What the environment should show, per the chain (undefined: not known yet). */
  async desiredCommit(environment: string): Promise<string | undefined> {
    const env = this.environments.find((e) => e.name === environment);
    return env ? this.#desiredCommit(env) : this.branchHead();
  }

  /** Runs `body` with the warehouse, in the queue (scheduled runs, drift checks by tests). */
  withServices<T>(
    body: (services: ReleaseServices, loaded: LoadedCommit | undefined) => Promise<T>,
  ): Promise<T> {
    return this.#exclusive(async () => {
      await this.#ensureCurrent();
      const loaded = await this.#loadCurrent();
      return body(await this.#services(), loaded);
    });
  }

  /**
   * Runs `body` with the warehouse the releases run on (the same in-process instance), outside the
   * release queue: reads go on while a release builds and switches. The warehouse stays open
   * until the last read ends.
   */
  async withReadWarehouse<T>(body: (warehouse: Warehouse) => Promise<T>): Promise<T> {
    if (this.#reading === 0) {
      this.#readsDone = new Promise((resolve) => {
        this.#readsDrained = resolve;
      });
    }
    this.#reading += 1;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    try {
      if (!(await this.#ensureCurrent()))
        throw new WorkFailedError('the operator has not loaded a commit yet');
      return await body(await this.#openedWarehouse());
    } finally {
      this.#reading -= 1;
      if (this.#reading === 0) {
        this.#readsDrained();
        if (this.#queued === 0) this.#scheduleIdleClose();
      }
    }
  }

  /** Closes the warehouse (when leadership is lost or on shutdown); the next need reopens it. */
  async releaseWarehouse(): Promise<void> {
    await this.#exclusive(async () => {
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
      await this.#readsDone;
      const warehouse = this.#warehouse;
      this.#warehouse = undefined;
      await warehouse?.close();
    });
  }

  async #pass(
    ctx: PassContext,
    { rootsToo = true, due }: { rootsToo?: boolean; due?: ReadonlySet<string> } = {},
  ): Promise<void> {
    for (const env of this.environments) {
      if (ctx.signal?.aborted) return;
      // A verification that came due (a `verify.delay` ended) runs whatever the sync policy.
      await this.#verify(env, ctx);
      if (env.promoteFrom === undefined && !rootsToo && !due?.has(env.name)) continue;
      await this.#syncEnvironment(env, ctx);
    }
    await this.#checkDrift(ctx.fence);
  }

  async #syncEnvironment(env: ManagedEnvironment, ctx: PassContext): Promise<void> {
    const named = ctx.manual === 'all' || ctx.manual?.has(env.name) === true;
    if (env.policy === 'manual' && !named) return;
    const desired = await this.#desiredCommit(env);
    if (desired === undefined) return;
    if (!(await this.#actions.checkPause(env, desired, ctx.fence))) return;
    this.#progressing.add(env.name);
    try {
      const services = await this.#services();
      if (env.promoteFrom === undefined) {
        const loaded = await this.#loadCurrent();
        if (!loaded) throw new WorkFailedError('the operator has not loaded a commit yet');
        await this.#actions.apply(services, env, loaded, ctx);
        await this.#retryIfTransient(env, loaded);
      } else {
        const wait = await this.#actions.promote(
          services,
          env,
          env.promoteFrom,
          desired,
          ctx,
          (sha) => this.#pullRequestOf(sha),
          (sha) => this.#o.workspace.load(sha).catch(() => undefined),
        );
        if (wait !== undefined) this.#schedulePass(`promote:${env.name}`, wait);
      }
      await this.#verify(env, ctx);
    } finally {
      this.#progressing.delete(env.name);
    }
  }

  async #checkDrift(fence: Fence): Promise<void> {
    const services = await this.#services();
    for (const env of this.environments) {
      const pointer = await this.#o.state.getPointer(env.name);
      let drift: readonly DriftItem[] = await this.#actions.detect(services.warehouse, pointer);
      const key = drift.map((d) => `${d.relation}:${d.problem}`).join(',');
      if (drift.length > 0 && this.#reported.get(env.name) !== key) {
        await this.#o.state.appendEvent({
          type: 'drift.detected',
          environment: env.name,
          actor: 'operator',
          data: { summary: `${drift.length} drifted: ${key.slice(0, 300)}`, drift },
        });
      }
      this.#reported.set(env.name, key);
      if (drift.length > 0 && env.selfHeal && pointer) {
        drift = await this.#heal(services, env, pointer, drift, fence);
        this.#reported.set(env.name, drift.map((d) => `${d.relation}:${d.problem}`).join(','));
      }
      this.#drift.set(env.name, drift);
    }
  }

  async #heal(
    services: ReleaseServices,
    env: ManagedEnvironment,
    pointer: EnvironmentPointer,
    drift: readonly DriftItem[],
    fence: Fence,
  ): Promise<readonly DriftItem[]> {
    const release = await this.#o.state.getRelease(pointer.releaseId);
    const sha = release?.commit?.sha;
    const needsBuild = drift.some((d) => d.problem === 'table missing');
    const loaded = needsBuild && sha ? await this.#o.workspace.load(sha).catch(() => undefined) : undefined;
    try {
      await this.#actions.heal(services, env, pointer, drift, loaded, fence);
    } catch (error) {
      this.#o.logger.warn({ err: error, environment: env.name }, 'self-heal failed');
      await this.#o.state.appendEvent({
        type: 'drift.heal_failed',
        environment: env.name,
        actor: 'operator',
        data: { summary: errorMessage(error) },
      });
    }
    return this.#actions.detect(services.warehouse, await this.#o.state.getPointer(env.name));
  }

  /** Post-deploy verification of the environment's release, when due; a pass is asked for when it will be. */
  async #verify(env: ManagedEnvironment, ctx: PassContext): Promise<void> {
    const wait = await this.#verifier.verifyDue(() => this.#services(), env, ctx);
    if (wait !== undefined) this.#schedulePass(`verify:${env.name}`, wait);
  }

  /**
   * After a root environment's sync: when it failed for a cause that may pass (input data not
   * there yet, the warehouse or git unreachable), another try is scheduled with exponential
   * backoff, and the status shows Degraded with the reason meanwhile; a success or a lasting
   * failure (the commit itself is wrong) ends the retries.
   */
  async #retryIfTransient(env: ManagedEnvironment, loaded: LoadedCommit): Promise<void> {
    const sha = loaded.sha;
    const attempt = await this.#o.store.lastAttempt(env.name);
    const message = attempt?.message ?? '';
    if (attempt?.status !== 'failed' || attempt.commit !== sha || !isTransientFailure(message)) {
      this.#retries.delete(env.name);
      return;
    }
    const previous = this.#retries.get(env.name);
    const n = previous?.commit === sha ? previous.attempt + 1 : 1;
    const delay = retryDelayMs(n, { baseMs: this.#o.retryBaseMs ?? 5_000 });
    const retry: SyncRetry = {
      commit: sha,
      attempt: n,
      retryAt: new Date((this.#o.now ?? Date.now)() + delay).toISOString(),
      reason: transientReason(message, loaded.missingLinks ?? []),
    };
    this.#retries.set(env.name, retry);
    this.#o.logger.warn({ environment: env.name, sha, attempt: n, delayMs: delay }, 'sync failed, retrying');
    await this.#o.state.appendEvent({
      type: 'sync.retry_scheduled',
      environment: env.name,
      actor: 'operator',
      data: {
        summary: `retry ${n} of ${sha.slice(0, 10)} in ${Math.round(delay / 1000)} s: ${retry.reason}`,
        sha,
        attempt: n,
        delayMs: delay,
      },
    });
    this.#schedulePass(`retry:${env.name}:${n}`, delay);
  }

  /** Asks for a pass after `waitMs` (a soak or a verification delay ends), once per `key` at a time. */
  #schedulePass(key: string, waitMs: number): void {
    if (this.#passTimers.has(key) || !this.#o.requestPass) return;
    this.#passTimers.add(key);
    this.#o.requestPass(waitMs + 50);
    setTimeout(() => this.#passTimers.delete(key), waitMs + 50).unref();
  }

  async #desiredCommit(env: ManagedEnvironment): Promise<string | undefined> {
    if (env.promoteFrom === undefined) return this.branchHead();
    const pointer = await this.#o.state.getPointer(env.promoteFrom);
    if (!pointer) return undefined;
    return (await this.#o.state.getRelease(pointer.releaseId))?.commit?.sha;
  }

  #managed(name: string): ManagedEnvironment {
    const env = this.environments.find((e) => e.name === name);
    if (!env) {
      const known = this.environments.map((e) => e.name).join(', ') || 'none yet';
      throw new SlipwayError('not_found', `'${name}' is not an environment the operator manages`, {
        hint: `managed environments: ${known}`,
      });
    }
    return env;
  }

  async #pullRequestOf(sha: string): Promise<number | null> {
    try {
      return (await this.#o.commitInfo(sha)).pullRequest ?? null;
    } catch {
      return null;
    }
  }

  async #projectFailed(sha: string, error: unknown, ctx: PassContext): Promise<void> {
    const message = errorMessage(error);
    this.#o.logger.warn({ sha, err: message }, 'the commit does not load');
    await this.#o.state.appendEvent({
      type: 'sync.failed',
      actor: `operator (${ctx.trigger})`,
      data: { summary: `commit ${sha.slice(0, 10)} does not load: ${message.slice(0, 500)}`, sha },
    });
    for (const env of this.environments.filter((e) => e.promoteFrom === undefined)) {
      await this.#o.store.setLastAttempt(
        env.name,
        { commit: sha, releaseId: null, status: 'failed', message, at: new Date().toISOString() },
        ctx.fence,
      );
      this.#o.onTimeline?.({
        at: Date.now(),
        environment: env.name,
        commit: sha,
        outcome: 'failed',
        releaseId: undefined,
        message: `does not load: ${message.split('\n')[0]}`,
      });
    }
  }

  /**
   * Reads the last handled commit's (or the head's) configuration when no pass has run since
   * start: a periodic pass needs the environments only, so an idle operator checks out and parses
   * nothing (the SQL parser's engine alone would add tens of MB).
   */
  async #ensureCurrent(): Promise<boolean> {
    if (this.#current) return true;
    const sha = (await this.#o.store.lastHandledCommit()) ?? (await this.#o.head());
    if (!sha) return false;
    try {
      this.#current = await this.#o.workspace.config(sha);
      return true;
    } catch (error) {
      this.#o.logger.warn({ err: error, sha }, 'cannot load the last handled commit');
      return false;
    }
  }

  /** The whole project of the current commit, loaded on first need. */
  async #loadCurrent(): Promise<LoadedCommit | undefined> {
    const current = this.#current;
    if (!current) return undefined;
    // The workspace keeps the load; it loads again only when data arrived since (its data/ link).
    this.#loaded = await this.#o.workspace.load(current.sha);
    return this.#loaded;
  }

  async #services(): Promise<ReleaseServices> {
    const warehouse = await this.#openedWarehouse();
    return {
      state: this.#o.state,
      warehouse,
      telemetry: this.#o.telemetry,
      logger: this.#o.logger,
      ...(this.#o.step ? { step: this.#o.step } : {}),
    };
  }

  /** The open warehouse, or one opening shared by the release queue and the readers. */
  async #openedWarehouse(): Promise<Warehouse> {
    if (this.#warehouse) return this.#warehouse;
    const current = this.#current;
    if (!current) throw new WorkFailedError('the operator has not loaded a commit yet');
    this.#opening ??= this.#o.openWarehouse(current).then(
      (warehouse) => {
        this.#warehouse = warehouse;
        this.#opening = undefined;
        return warehouse;
      },
      (error: unknown) => {
        this.#opening = undefined;
        throw error;
      },
    );
    return this.#opening;
  }

  #exclusive<T>(body: () => Promise<T>): Promise<T> {
    this.#queued += 1;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const run = this.#queue.then(body, body).finally(() => {
      this.#queued -= 1;
      if (this.#queued === 0) this.#scheduleIdleClose();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #scheduleIdleClose(): void {
    const idleMs = this.#o.idleCloseMs ?? 1000;
    if (idleMs <= 0 || !this.#warehouse) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#queued > 0 || this.#reading > 0) return;
      const warehouse = this.#warehouse;
      this.#warehouse = undefined;
      void warehouse
        ?.close()
        .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'closing the warehouse failed'));
    }, idleMs);
    this.#idleTimer.unref();
  }
}

/** The first line of a transient failure, naming the input folders the operator's home lacks. */
function transientReason(message: string, missing: readonly string[]): string {
  const first = (message.split('\n').find((line) => line.trim() !== '') ?? message).trim().slice(0, 500);
  return missing.length === 0 ? first : `input data missing: no ${missing.join(', ')} yet (${first})`;
}
