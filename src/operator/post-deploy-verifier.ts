/**
 * Post-deploy verification with automatic rollback, the operator's half (Argo Rollouts' analysis,
 * adapted to data): once an environment with `verify:` has been switched and the delay is over,
 * its live views are verified (`verifyEnvironment`). A pass is recorded and lets the release go on
 * along the promotion chain. A failure is recorded with the failed verification named, opens an
 * incident, and — unless `rollback: false` — rolls the environment back to the release before it
 * and pauses its auto-sync for that commit, exactly as a rollback by hand does: polls and syncs
 * leave it alone, the next new commit resumes it. The incident is resolved when the rollback has
 * restored the previous release, or else when a later release passes its verification.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError } from '../core/errors.js';
import type { ReleaseServices } from '../release/execute-release.js';
import { type VerificationOutcome, verifyEnvironment } from '../release/verify-environment.js';
import type { ReleaseRecord, StateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { LoadedCommit } from './commit-workspace.js';
import type { Fence, OperatorStore, VerificationRecord } from './operator-store.js';
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
    const { state, store } = this.#o;
    const pointer = await state.getPointer(env.name);
    const record = pointer ? store.verification(pointer.releaseId) : undefined;
    if (record?.status !== 'pending') return undefined;
    if (!env.verify) {
      // `verify:` was removed meanwhile: nothing is asked of the release any more, and what
      // waits for it (a promotion) must not wait forever.
      await this.#passed(
        env,
        record,
        'not verified: the environment no longer has a verify block',
        ctx.fence,
      );
      return undefined;
    }
    const wait = Date.parse(record.dueAt) - this.#o.now();
    if (wait > 0) return wait;
    const release = (await state.getRelease(record.releaseId)) as ReleaseRecord;
    const previous = release.previousReleaseId
      ? await state.getRelease(release.previousReleaseId)
      : undefined;
    let outcome: Pick<VerificationOutcome, 'passed' | 'summary'>;
    try {
      const loaded = await this.#o.load(record.commit);
      const sampleRows = loaded.project.config.defaults?.check_sample_rows;
      outcome = await verifyEnvironment(await services(), {
        project: loaded.project,
        environment: env.name,
        release,
        previous,
        policy: env.verify,
        ...(sampleRows === undefined ? {} : { sampleRows }),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (error) {
      // Busy or shutting down: the verification stays pending and runs at the next pass.
      if (error instanceof ConflictError || ctx.signal?.aborted) throw error;
      // A release that cannot be verified is not trusted.
      outcome = { passed: false, summary: `could not verify: ${errorMessage(error).split('\n')[0]}` };
    }
    if (outcome.passed) await this.#passed(env, record, outcome.summary, ctx.fence);
    else await this.#failed(await services(), env, release, record, outcome.summary, ctx.fence);
    return undefined;
  }

  async #passed(env: ManagedEnvironment, record: VerificationRecord, summary: string, fence: Fence) {
    const { state, store } = this.#o;
    store.putVerification({ ...record, status: 'passed', summary, at: this.#iso() }, fence);
    await state.appendEvent({
      type: 'release.verified',
      environment: env.name,
      releaseId: record.releaseId,
      actor: 'operator',
      data: { summary: `${record.releaseId} verified in ${env.name}: ${summary}` },
    });
    this.#o.logger.info({ environment: env.name, release: record.releaseId }, `verified: ${summary}`);
    const incident = store.openIncident(env.name);
    if (incident)
      await this.#resolve(env.name, incident.id, `${record.releaseId} passed its verification`, fence);
  }

  async #failed(
    services: ReleaseServices,
    env: ManagedEnvironment,
    release: ReleaseRecord,
    record: VerificationRecord,
    summary: string,
    fence: Fence,
  ): Promise<void> {
    const { state, store } = this.#o;
    const reason = `post-deploy verification failed: ${summary}`;
    const commit = record.commit;
    this.#o.logger.warn({ environment: env.name, release: release.id }, reason);
    await state.appendEvent({
      type: 'release.verification_failed',
      environment: env.name,
      releaseId: release.id,
      actor: 'operator',
      data: { summary: `${release.id} (${commit.slice(0, 10)}) in ${env.name}: ${reason}`, sha: commit },
    });
    this.#o.onTimeline?.({
      at: this.#o.now(),
      environment: env.name,
      commit,
      outcome: 'verify failed',
      releaseId: release.id,
      message: summary,
    });
    let incident = store.openIncident(env.name);
    if (incident?.releaseId !== release.id) {
      incident = {
        id: `inc-${randomBytes(4).toString('hex')}`,
        environment: env.name,
        releaseId: release.id,
        commit,
        reason,
        openedAt: this.#iso(),
      };
      store.setOpenIncident(env.name, incident, fence);
      await state.appendEvent({
        type: 'incident.opened',
        environment: env.name,
        releaseId: release.id,
        actor: 'operator',
        data: { summary: `${incident.id}: ${env.name} ${reason}`, incident },
      });
    }
    let rolledBack = false;
    if (env.verify?.rollback !== false && release.previousReleaseId !== undefined) {
      try {
        // What a rollback by hand does, by the operator: re-point, pause auto-sync for the commit.
        await this.#o.actions.rollback(services, env, { reason, actor: 'operator', fence, desired: commit });
        rolledBack = true;
      } catch (error) {
        // Busy: verified again (and rolled back) at the next pass, as nothing is settled yet.
        if (error instanceof ConflictError) throw error;
        this.#o.logger.warn({ err: error, environment: env.name }, 'the automatic rollback failed');
        await state.appendEvent({
          type: 'rollback.failed',
          environment: env.name,
          releaseId: release.id,
          actor: 'operator',
          data: { summary: `automatic rollback of ${env.name} failed: ${errorMessage(error)}` },
        });
      }
    }
    store.putVerification({ ...record, status: 'failed', summary, at: this.#iso() }, fence);
    const meta = store.releaseMeta(release.id);
    if (meta) store.putReleaseMeta({ ...meta, message: reason }, fence);
    // The desired commit failed: the status says Degraded (and paused, after the rollback).
    store.setLastAttempt(
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
    const incident = this.#o.store.openIncident(environment);
    if (incident?.id !== id) return;
    this.#o.store.setOpenIncident(environment, undefined, fence);
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

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
