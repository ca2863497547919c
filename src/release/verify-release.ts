/**
 * Post-deploy verification of a release, the part every deployer shares — the operator after
 * each switch it makes, `slipway apply` and `promote` after theirs: the environment's `verify:`
 * block as a policy, the release recorded as awaiting its verification, the verification run
 * (`verifyEnvironment` measures, `judgeVerification` decides) and its verdict recorded on the
 * release in the state store with an event in the audit log. What follows a failure — a
 * rollback (`rollbackRelease` with the verdict as its reason, which marks the release
 * `rolled_back`), an incident, a paused auto-sync, an exit code — is the caller's.
 */

import { parseDuration } from '../core/duration.js';
import { ConflictError, errorMessage } from '../core/errors.js';
import type { ReleaseRecord } from '../core/release.js';
import type { Project } from '../project/project.js';
import type { ProjectConfig } from '../project/schemas.js';
import type { StateStore } from '../state/state-store.js';
import type { ReleaseServices } from './execute-release.js';
import type { VerifyPolicy } from './verification-verdict.js';
import { type VerificationOutcome, verifyEnvironment } from './verify-environment.js';

/**
 * The environment's `verify:` block as a policy, with its defaults; undefined when it has none.
 *
 * @example verifyPolicy(config, 'prod') // { checks: true, maxRowChangePercent: 50, delayMs: 0, rollback: true }
 */
export function verifyPolicy(config: ProjectConfig, environment: string): VerifyPolicy | undefined {
  const block = config.environments[environment]?.verify;
  if (!block) return undefined;
  return {
    checks: block.checks ?? true,
    maxRowChangePercent:
      block.max_row_change === undefined ? undefined : Number.parseFloat(block.max_row_change),
    delayMs: block.delay ? (parseDuration(block.delay) ?? 0) : 0,
    rollback: block.rollback ?? true,
  };
}

/** Whether a failed verification rolls the release back: the policy asks, and there is a release before. */
export function rollsBack(policy: VerifyPolicy | undefined, release: ReleaseRecord): boolean {
  return policy?.rollback !== false && release.previousReleaseId !== undefined;
}

/** Records the release as awaiting verification, due `delay` after `now`; returns when it is due. */
export async function expectVerification(
  state: StateStore,
  release: ReleaseRecord,
  policy: VerifyPolicy,
  now: number = Date.now(),
): Promise<Date> {
  const due = new Date(now + policy.delayMs);
  await state.setReleaseVerification(release.id, { status: 'pending', dueAt: due.toISOString() });
  return due;
}

export interface ReleaseVerdict {
  readonly passed: boolean;
  /** One line: what was verified, or what failed. */
  readonly summary: string;
  /** `post-deploy verification failed: …` when it failed: the rollback's and the status's reason. */
  readonly reason: string | undefined;
  /** What was measured; undefined when the verification could not run or was settled without it. */
  readonly outcome: VerificationOutcome | undefined;
}

export interface VerifyReleaseRequest {
  /** The release the environment shows. */
  readonly release: ReleaseRecord;
  readonly policy: VerifyPolicy;
  /** The project whose checks apply: the release's commit (loaded when the verification runs). */
  readonly project: () => Promise<Project>;
  /** Who verifies, for the audit log (`operator`, or the person who released). */
  readonly actor: string;
  readonly signal?: AbortSignal;
}

/**
 * Verifies the environment's live views against the policy and records the verdict on the
 * release (`release.verified` / `release.verification_failed`). A verification that cannot run
 * (the project does not load, a query fails) counts as failed: an unverified release is not
 * trusted. A conflict or an abort is thrown, and the release stays pending.
 *
 * @example
 * const verdict = await verifyRelease(services, { release, policy, project: async () => project, actor: 'ada' });
 * if (!verdict.passed && rollsBack(policy, release))
 *   await rollbackRelease(services, { environment, to: release.previousReleaseId, strategy, actor: 'ada', reason: verdict.reason });
 */
export async function verifyRelease(
  services: Pick<ReleaseServices, 'state' | 'warehouse' | 'telemetry'>,
  request: VerifyReleaseRequest,
): Promise<ReleaseVerdict> {
  const { state } = services;
  const { release, policy, signal } = request;
  const previous = await baseline(state, release);
  let outcome: VerificationOutcome;
  try {
    const project = await request.project();
    const sampleRows = project.config.defaults?.check_sample_rows;
    outcome = await verifyEnvironment(services, {
      project,
      environment: release.environment,
      release,
      previous,
      policy,
      ...(sampleRows === undefined ? {} : { sampleRows }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof ConflictError || signal?.aborted) throw error;
    const message = errorMessage(error).split('\n')[0];
    return settleVerification(state, release, {
      passed: false,
      summary: `could not verify: ${message}`,
      actor: request.actor,
    });
  }
  const verdict = await settleVerification(state, release, {
    passed: outcome.passed,
    summary: outcome.summary,
    actor: request.actor,
  });
  return { ...verdict, outcome };
}

/**
 * The release whose tables row counts are compared with: the one before, passing over releases
 * that failed their verification and stayed (`rollback: false`) — the release that fixes one is
 * judged against what was last good, not against the failure.
 */
async function baseline(state: StateStore, release: ReleaseRecord): Promise<ReleaseRecord | undefined> {
  let id = release.previousReleaseId;
  for (let hops = 0; id !== undefined && hops < 50; hops++) {
    const before = await state.getRelease(id);
    if (before?.verification?.status !== 'failed') return before;
    id = before.previousReleaseId;
  }
  return undefined;
}

/** Records a verdict on the release and in the audit log, without measuring anything. */
export async function settleVerification(
  state: StateStore,
  release: ReleaseRecord,
  verdict: { readonly passed: boolean; readonly summary: string; readonly actor: string },
): Promise<ReleaseVerdict> {
  const { passed, summary, actor } = verdict;
  const reason = passed ? undefined : `post-deploy verification failed: ${summary}`;
  const sha = release.commit?.sha ?? null;
  await state.setReleaseVerification(release.id, { status: passed ? 'passed' : 'failed', summary });
  await state.appendEvent({
    type: passed ? 'release.verified' : 'release.verification_failed',
    environment: release.environment,
    releaseId: release.id,
    actor,
    data: {
      summary: passed
        ? `${release.id} verified in ${release.environment}: ${summary}`
        : `${release.id} (${sha?.slice(0, 10) ?? 'no commit'}) in ${release.environment}: ${reason}`,
      sha,
    },
  });
  return { passed, summary, reason, outcome: undefined };
}

/** Records that a person released without verification (`--no-verify`), in the audit log too. */
export async function skipVerification(
  state: StateStore,
  release: ReleaseRecord,
  { actor, why }: { readonly actor: string; readonly why: string },
): Promise<void> {
  await state.setReleaseVerification(release.id, { status: 'skipped', summary: why });
  await state.appendEvent({
    type: 'release.verification_skipped',
    environment: release.environment,
    releaseId: release.id,
    actor,
    data: { summary: `${release.id} in ${release.environment} not verified: ${why}` },
  });
}

/**
 * A release replaced while its post-deploy verification was still pending is never verified
 * (verification looks at what the environment shows): it is settled as skipped, saying by what,
 * rather than left pending for ever. Does nothing for a release that is not pending.
 */
export async function settleReplaced(
  state: StateStore,
  replacedId: string | undefined,
  by: string,
  actor: string,
): Promise<void> {
  if (replacedId === undefined || replacedId === by) return;
  const replaced = await state.getRelease(replacedId);
  if (replaced?.verification?.status !== 'pending') return;
  await skipVerification(state, replaced, { actor, why: `replaced by ${by} before it was verified` });
}

/** Records in the audit log that the automatic rollback after a failed verification failed. */
export async function recordRollbackFailure(
  state: StateStore,
  release: ReleaseRecord,
  { actor, error }: { readonly actor: string; readonly error: unknown },
): Promise<void> {
  await state.appendEvent({
    type: 'rollback.failed',
    environment: release.environment,
    releaseId: release.id,
    actor,
    data: { summary: `automatic rollback of ${release.environment} failed: ${errorMessage(error)}` },
  });
}
