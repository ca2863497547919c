/**
 * Post-deploy verification with automatic rollback, the operator's half (Argo Rollouts' analysis,
 * adapted to data): once an environment with `verify:` has been switched and the delay is over,
 * its live views are verified under the environment's lock by the one verification path
 * (`runPostDeployVerification`, the same code `slipway apply` and `promote` run: verify, roll
 * back, open and resolve the incident) and the verdict is recorded on the release. A pass lets the
 * release go on along the promotion chain. A failure opens an incident and — unless
 * `rollback: false` — rolls the environment back to the release before it (marked `rolled_back`
 * with the failed verification as its reason) and pauses its auto-sync for that commit, exactly
 * as a rollback by hand does: polls and syncs leave it alone, the next new commit resumes it. The
 * incident is resolved when the rollback has restored the previous release, or else when a later
 * release passes its verification.
 */
import type { ReleaseRecord } from '../core/release.js';
import { withEnvironmentLocks } from '../release/environment-lock.js';
import type { ReleaseServices } from '../release/execute-release.js';
import {
  type IncidentLog,
  resolveOpenIncident,
  runPostDeployVerification,
} from '../release/post-deploy-verification.js';
import { settleVerification } from '../release/verify-release.js';
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
      await settleVerification(state, pending, {
        passed: true,
        summary: 'nothing to verify: the environment no longer has a verify block',
        actor: 'operator',
      });
      await resolveOpenIncident({ state }, this.#incidents(ctx.fence), env.name, {
        how: `${pending.id} passed its verification`,
        actor: 'operator',
      });
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
        const commit = release.commit?.sha ?? '';
        const result = await runPostDeployVerification(opened, {
          release,
          policy,
          project: async () => (await this.#o.load(commit)).project,
          actor: 'operator',
          incidents: this.#incidents(ctx.fence),
          // What a rollback by hand does, by the operator: re-point, pause auto-sync for the
          // commit. The environment's lock is held already (the verification's).
          rollback: (to, reason) =>
            this.#o.actions.rollbackHeld(opened, env, {
              to,
              reason,
              actor: 'operator',
              fence: ctx.fence,
              desired: commit,
            }),
          onVerdict: (verdict) => {
            if (verdict.passed) {
              this.#o.logger.info(
                { environment: env.name, release: release.id },
                `verified: ${verdict.summary}`,
              );
              return;
            }
            this.#o.logger.warn({ environment: env.name, release: release.id }, verdict.summary);
            this.#o.onTimeline?.({
              at: this.#o.now(),
              environment: env.name,
              commit,
              outcome: 'verify failed',
              releaseId: release.id,
              message: verdict.summary,
            });
          },
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        if (result.rollbackError !== undefined) {
          this.#o.logger.warn(
            { err: result.rollbackError, environment: env.name },
            'the automatic rollback failed',
          );
        }
        if (!result.verdict.passed) {
          // The desired commit failed: the status says Degraded (and paused, after the rollback).
          await this.#o.store.setLastAttempt(
            env.name,
            {
              commit,
              releaseId: release.id,
              status: 'failed',
              message: result.incident?.reason ?? result.verdict.summary,
              at: new Date(this.#o.now()).toISOString(),
            },
            ctx.fence,
          );
        }
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

  #incidents(fence: Fence): IncidentLog {
    return { store: this.#o.store, fence, now: this.#o.now };
  }
}
