/**
 * Post-deploy verification with automatic rollback, the operator's half (Argo Rollouts' analysis,
 * adapted to data): once an environment with `verify:` has been switched and the delay is over,
 * its live views are verified under the environment's lock (`verifyRelease`, the same code
 * `slipway apply` and `promote` run) and the verdict is recorded on the release. A pass lets the
 * release go on along the promotion chain. A failure opens an incident and — unless
 * `rollback: false` — rolls the environment back to the release before it (marked `rolled_back`
 * with the failed verification as its reason) and pauses its auto-sync for that commit, exactly
 * as a rollback by hand does: polls and syncs leave it alone, the next new commit resumes it. The
 * incident is resolved when the rollback has restored the previous release, or else when a later
 * release passes its verification.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError } from '../core/errors.js';
import type { ReleaseRecord } from '../core/release.js';
import { withEnvironmentLocks } from '../release/environment-lock.js';
import type { ReleaseServices } from '../release/execute-release.js';
import {
  type ReleaseVerdict,
  recordRollbackFailure,
  rollsBack,
  settleVerification,
  verifyRelease,
} from '../release/verify-release.js';
import type { Fence, OperatorStore } from '../state/operator-store.js';
import type { StateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { LoadedCommit } from './commit-workspace.js';
import type { ManagedEnvironment } from './promotion-chain.js';
import type { PassContext, TimelineEntry } from './reconciler.js';
import type { ReleaseActions } from './release-actions.js';

export interface PostDeployVerifierOptions {
  readonly state: StateStore;
  readonly store: OperatorStore;
  readonly actions: ReleaseActions;
  /** The project at a commit (its checks are the ones the release is verified with). */
  readonly load: (sha: string) => Promise<LoadedCommit>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly onTimeline?: (entry: TimelineEntry) => void;
}

export class PostDeployVerifier {
  readonly #o: PostDeployVerifierOptions;

  constructor(options: PostDeployVerifierOptions) {
    this.#o = options;
  }

  /**
   * Verifies the release the environment shows when its verification is due. Returns the
   * milliseconds until it is due when it is not yet (the caller asks for a pass then).
   * `services` is called only when there is something to verify (it opens the warehouse).
   */
  async verifyDue(
    services: () => Promise<ReleaseServices>,
    env: ManagedEnvironment,
    ctx: Pick<PassContext, 'fence' | 'signal'>,
  ): Promise<number | undefined> {
    const { state } = this.#o;
    const pending = await this.#pending(env.name);
    if (!pending?.verification) return undefined;
    if (!env.verify) {
      // `verify:` was removed meanwhile: nothing is asked of the release any more, and what
      // waits for it (a promotion) must not wait forever.
      const verdict = await settleVerification(state, pending, {
        passed: true,
        summary: 'nothing to verify: the environment no longer has a verify block',
        actor: 'operator',
      });
      await this.#passed(env, pending, verdict, ctx.fence);
      return undefined;
    }
    const wait = Date.parse(pending.verification.dueAt) - this.#o.now();
    if (wait > 0) return wait;
    const policy = env.verify;
    const opened = await services();
    // Under the environment's lock, like a release: a command beside the operator cannot switch
    // the environment while it is verified, nor verify the same release at once. Busy or shutting
    // down: the verification stays pending and runs at the next pass.
    await withEnvironmentLocks(
      state,
      [env.name],
      this.#o.actions.lockOptions(`operator verify ${env.name}`),
      async () => {
        const release = await this.#pending(env.name);
        if (release?.id !== pending.id) return; // settled or replaced meanwhile
        const sha = release.commit?.sha ?? '';
        const verdict = await verifyRelease(opened, {
          release,
          policy,
          project: async () => (await this.#o.load(sha)).project,
          actor: 'operator',
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        if (verdict.passed) await this.#passed(env, release, verdict, ctx.fence);
        else await this.#failed(opened, env, release, verdict, ctx.fence);
      },
    );
    return undefined;
  }

  /** The release the environment shows, when its verification is pending. */
  async #pending(environment: string): Promise<ReleaseRecord | undefined> {
    const pointer = await this.#o.state.getPointer(environment);
    const release = pointer ? await this.#o.state.getRelease(pointer.releaseId) : undefined;
    return release?.verification?.status === 'pending' ? release : undefined;
  }

  async #passed(env: ManagedEnvironment, release: ReleaseRecord, verdict: ReleaseVerdict, fence: Fence) {
    this.#o.logger.info({ environment: env.name, release: release.id }, `verified: ${verdict.summary}`);
    const incident = await this.#o.store.openIncident(env.name);
    if (incident) await this.#resolve(env.name, incident.id, `${release.id} passed its verification`, fence);
  }

  async #failed(
    services: ReleaseServices,
    env: ManagedEnvironment,
    release: ReleaseRecord,
    verdict: ReleaseVerdict,
    fence: Fence,
  ): Promise<void> {
    const { state, store } = this.#o;
    const reason = verdict.reason ?? `post-deploy verification failed: ${verdict.summary}`;
    const commit = release.commit?.sha ?? '';
    this.#o.logger.warn({ environment: env.name, release: release.id }, reason);
    this.#o.onTimeline?.({
      at: this.#o.now(),
      environment: env.name,
      commit,
      outcome: 'verify failed',
      releaseId: release.id,
      message: verdict.summary,
    });
    let incident = await store.openIncident(env.name);
    if (incident?.releaseId !== release.id) {
      incident = {
        id: `inc-${randomBytes(4).toString('hex')}`,
        environment: env.name,
        releaseId: release.id,
        commit,
        reason,
        openedAt: this.#iso(),
      };
      await store.setOpenIncident(env.name, incident, fence);
      await state.appendEvent({
        type: 'incident.opened',
        environment: env.name,
        releaseId: release.id,
        actor: 'operator',
        data: { summary: `${incident.id}: ${env.name} ${reason}`, incident },
      });
    }
    let rolledBack = false;
    if (rollsBack(env.verify, release)) {
      try {
        // What a rollback by hand does, by the operator: re-point, pause auto-sync for the commit.
        // The environment's lock is held already (the verification's).
        await this.#o.actions.rollbackHeld(services, env, {
          to: release.previousReleaseId,
          reason,
          actor: 'operator',
          fence,
          desired: commit,
        });
        rolledBack = true;
      } catch (error) {
        if (error instanceof ConflictError) throw error;
        this.#o.logger.warn({ err: error, environment: env.name }, 'the automatic rollback failed');
        await recordRollbackFailure(state, release, { actor: 'operator', error });
      }
    }
    // The desired commit failed: the status says Degraded (and paused, after the rollback).
    await store.setLastAttempt(
      env.name,
      { commit, releaseId: release.id, status: 'failed', message: reason, at: this.#iso() },
      fence,
    );
    if (rolledBack) {
      await this.#resolve(
        env.name,
        incident.id,
        `restored by the automatic rollback of ${release.id}`,
        fence,
      );
    }
  }

  async #resolve(environment: string, id: string, how: string, fence: Fence): Promise<void> {
    const incident = await this.#o.store.openIncident(environment);
    if (incident?.id !== id) return;
    await this.#o.store.setOpenIncident(environment, undefined, fence);
    const restoredMs = this.#o.now() - Date.parse(incident.openedAt);
    await this.#o.state.appendEvent({
      type: 'incident.resolved',
      environment,
      releaseId: incident.releaseId,
      actor: 'operator',
      data: { summary: `${incident.id}: ${how}`, incident, restoredMs },
    });
  }

  #iso(): string {
    return new Date(this.#o.now()).toISOString();
  }
}
