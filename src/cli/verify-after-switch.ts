/**
 * Post-deploy verification after `slipway apply` and `promote` switched an environment: its
 * `verify:` block is honoured as the operator honours it, with the same code (`verifyRelease`),
 * so what a release must pass does not depend on who deployed it. The release is recorded as
 * pending; with no `delay` it is verified at once, in the command's session. With one, the
 * command lets go of everything first — the environments' locks and the warehouse file, which
 * DuckDB lets one process write — so others can query, release and run during the wait; it waits
 * with visible progress, then takes the environment's lock again and verifies the release, unless
 * the environment no longer shows it (replaced meanwhile: settled as skipped by the release that
 * replaced it) or someone verified it meanwhile (an operator on the same state store). The
 * verdict is recorded on the release and in the audit log. It runs the operator's own path
 * (`runPostDeployVerification`): on failure an incident is opened in the operator store the
 * project's `state:` names, the environment is rolled back to the release before (unless
 * `rollback: false`) and the incident resolved once it is restored; the command exits 1 naming
 * what failed. `--no-verify` skips it, recorded in the audit log with who skipped it.
 */
import logUpdate from 'log-update';
import { formatDuration } from '../core/duration.js';
import { errorMessage, WorkFailedError } from '../core/errors.js';
import type { ReleaseRecord, VerificationStatus } from '../core/release.js';
import type { Project } from '../project/project.js';
import { runPostDeployVerification } from '../release/post-deploy-verification.js';
import { rollbackRelease } from '../release/promote-release.js';
import type { RowCount, VerifyPolicy } from '../release/verification-verdict.js';
import {
  expectVerification,
  rollsBack,
  settleReplaced,
  skipVerification,
  verifyPolicy,
} from '../release/verify-release.js';
import type { StateStore } from '../state/state-store.js';
import { interruptible } from './interruptible.js';
import {
  type LoadedRelease,
  openStateStore,
  type ReleaseSession,
  withReleaseSession,
} from './release-context.js';
import { type Output, status } from './render/terminal.js';

export interface VerifyAfterSwitchRequest {
  /** The project whose slipway.yaml holds the environment's `verify:` block. */
  readonly project: Project;
  /** The project at the release's commit, whose checks are run (loaded only when verifying). */
  readonly checksProject: (release: ReleaseRecord) => Promise<Project>;
  /** The release the command just switched in. */
  readonly release: ReleaseRecord;
  /** `--no-verify`: skip it, and say so in the audit log. */
  readonly skip: boolean;
  readonly output: Output;
  readonly signal?: AbortSignal;
}

/** What the command reports (`--json`: its `verification`). */
export interface VerificationReport {
  readonly status: Exclude<VerificationStatus, 'pending'>;
  readonly summary: string;
  readonly dueAt: string | null;
  readonly checks: { readonly run: number; readonly failed: number } | null;
  readonly rowCounts: readonly RowCount[];
  /** The automatic rollback after a failure: back to which release, as which. */
  readonly rollback: { readonly to: string; readonly releaseId: string | null } | null;
  readonly rollbackError: string | null;
}

export interface AfterSwitch {
  /** Null when the environment has no `verify:` block. */
  readonly report: VerificationReport | null;
  /** Thrown by the command once it has written its output: the verification failed (exit 1). */
  readonly failure: WorkFailedError | undefined;
  /** The release as the state store has it after the verification (and any rollback). */
  readonly release: ReleaseRecord | null | undefined;
}

/** Where the verification stands when the command's session closes. */
export type StartedVerification =
  | { readonly done: AfterSwitch }
  /** Due after a delay: `verificationOutcome` waits for it once the session has closed. */
  | {
      readonly waiting: VerifyAfterSwitchRequest;
      readonly policy: VerifyPolicy;
      readonly due: Date;
      readonly actor: string;
    };

/**
 * Starts the verification of the release the command just switched in (none: undefined), inside
 * its session: skipped, verified at once (no delay), or left waiting for `verificationOutcome`.
 */
export async function startVerification(
  session: ReleaseSession,
  request: Omit<VerifyAfterSwitchRequest, 'release'> & { readonly release: ReleaseRecord | undefined },
): Promise<StartedVerification | undefined> {
  const { release, output } = request;
  if (!release) return undefined;
  const started = { ...request, release };
  const environment = release.environment;
  const policy = verifyPolicy(request.project.config, environment);
  if (!policy) return { done: { report: null, failure: undefined, release } };
  if (request.skip) {
    const why = `released with --no-verify by ${session.actor}`;
    await skipVerification(session.state, release, { actor: session.actor, why });
    output.note(status.warn(`! ${environment} was not verified (${why}); recorded in the audit log`));
    return {
      done: {
        report: { ...NOT_MEASURED, status: 'skipped', summary: why },
        failure: undefined,
        release: await session.state.getRelease(release.id),
      },
    };
  }
  const due = await expectVerification(session.state, release, policy);
  if (due.getTime() > Date.now()) return { waiting: started, policy, due, actor: session.actor };
  return {
    done: await interrupted(session.state, session.actor, started, () =>
      verifyNow(session, started, policy, due),
    ),
  };
}

/**
 * The verification's outcome: as done in the command's session, or — after a delay — once that
 * session has closed: waited out holding nothing (Ctrl-C stops the wait), then, under the
 * environment's lock taken again, verified — unless it was settled meanwhile.
 */
export async function verificationOutcome(
  started: StartedVerification | undefined,
  loaded: Pick<LoadedRelease, 'project' | 'root'>,
): Promise<AfterSwitch | undefined> {
  if (!started) return undefined;
  if ('done' in started) return started.done;
  const { policy, due, actor } = started;
  const { release, output } = started.waiting;
  const environment = release.environment;
  return interruptible(async (signal) => {
    const request = { ...started.waiting, signal };
    const state = await openStateStore(loaded.project, loaded.root);
    try {
      await interrupted(state, actor, request, () =>
        waitUntil(due, { environment, release: release.id, output, signal }),
      );
    } finally {
      await state.close();
    }
    return withReleaseSession(
      loaded,
      { environments: [environment], purpose: `verify ${environment}`, wait: true },
      async (session) => {
        const shown = (await session.state.getPointer(environment))?.releaseId;
        if (shown !== undefined) await settleReplaced(session.state, release.id, shown, session.actor);
        const settled = await session.state.getRelease(release.id);
        if (settled?.verification?.status === 'pending') {
          return interrupted(session.state, session.actor, request, () =>
            verifyNow(session, request, policy, due),
          );
        }
        return settledMeanwhile(settled, due, output);
      },
    );
  });
}

/** A verification someone else settled while the command waited (a replacing release, an operator). */
function settledMeanwhile(release: ReleaseRecord | undefined, due: Date, output: Output): AfterSwitch {
  const v = release?.verification;
  const summary = v?.summary ?? '';
  const environment = release?.environment ?? '';
  output.note(
    status.warn(
      `! ${environment}'s verification of ${release?.id} was settled meanwhile: ${v?.status} — ${summary}`,
    ),
  );
  return {
    report: {
      ...NOT_MEASURED,
      dueAt: due.toISOString(),
      status: v?.status === 'passed' || v?.status === 'failed' ? v.status : 'skipped',
      summary,
    },
    failure:
      v?.status === 'failed'
        ? new WorkFailedError(`post-deploy verification of ${environment} failed: ${summary}`)
        : undefined,
    release: release ?? null,
  };
}

const NOT_MEASURED = { dueAt: null, checks: null, rowCounts: [], rollback: null, rollbackError: null };

/**
 * Runs `work`; when the command's signal aborted it (Ctrl-C while waiting or verifying), the
 * release stays, unverified, and says so.
 */
async function interrupted<T>(
  state: StateStore,
  actor: string,
  request: VerifyAfterSwitchRequest,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!request.signal?.aborted) throw error;
    const { release } = request;
    const why = `interrupted by ${actor} before the verification finished`;
    await skipVerification(state, release, { actor, why });
    throw new WorkFailedError(`${release.environment} shows ${release.id}, not verified: ${why}`, {
      cause: error,
      hint: `watch it, or roll it back: slipway rollback --env ${release.environment}`,
    });
  }
}

/** Verifies the live release (the caller holds the environment's lock), rolling back on failure. */
async function verifyNow(
  session: ReleaseSession,
  request: VerifyAfterSwitchRequest,
  policy: VerifyPolicy,
  due: Date,
): Promise<AfterSwitch> {
  const { release, output, signal } = request;
  const environment = release.environment;
  const record = async () => session.state.getRelease(release.id);
  if (!output.json) output.line(status.dim(`Verifying ${environment} (its verify: block)…`));
  const policyRollsBack = rollsBack(policy, release);
  const result = await runPostDeployVerification(session, {
    release,
    policy,
    project: () => request.checksProject(release),
    actor: session.actor,
    incidents: { store: await session.incidentStore(), fence: undefined, now: Date.now },
    rollback: async (to, reason) => {
      const rolled = await rollbackRelease(session, {
        environment,
        to,
        strategy: release.strategy,
        actor: session.actor,
        reason,
      });
      return rolled.outcome?.release;
    },
    ...(signal ? { signal } : {}),
  });
  const { verdict } = result;
  const measured = {
    ...NOT_MEASURED,
    dueAt: due.toISOString(),
    checks: verdict.outcome?.checks
      ? {
          run: verdict.outcome.checks.results.length,
          failed: verdict.outcome.checks.results.filter((r) => r.status === 'fail' || r.status === 'error')
            .length,
        }
      : null,
    rowCounts: verdict.outcome?.rowCounts ?? [],
  };
  if (verdict.passed) {
    output.line(`${status.ok('✓')} ${environment} verified: ${verdict.summary}`);
    return {
      report: { ...measured, status: 'passed', summary: verdict.summary },
      failure: undefined,
      release: await record(),
    };
  }
  output.line(`${status.fail('✗')} ${environment} failed its post-deploy verification: ${verdict.summary}`);
  if (result.incident) output.note(status.warn(`! incident ${result.incident.id} opened for ${environment}`));
  const failed = `post-deploy verification of ${environment} failed: ${verdict.summary}`;
  const previous = release.previousReleaseId;
  if (result.rollback) {
    const { to, releaseId } = result.rollback;
    output.line(
      `${status.warn('↩')} ${environment} rolled back to ${status.bold(to)}${releaseId ? ` as release ${releaseId}` : ''}; ${release.id} is marked rolled_back`,
    );
    return {
      report: { ...measured, status: 'failed', summary: verdict.summary, rollback: { to, releaseId } },
      failure: new WorkFailedError(failed, {
        hint: `${environment} was rolled back to ${to}; fix the change and release again (slipway history --env ${environment})`,
      }),
      release: await record(),
    };
  }
  if (result.rollbackError !== undefined) {
    const message = errorMessage(result.rollbackError);
    return {
      report: { ...measured, status: 'failed', summary: verdict.summary, rollbackError: message },
      failure: new WorkFailedError(`${failed}; the automatic rollback failed too: ${message}`, {
        hint: `${environment} still shows ${release.id}: slipway rollback --env ${environment} --to ${previous}`,
      }),
      release: await record(),
    };
  }
  const hint =
    policy.rollback && !policyRollsBack
      ? `${environment} stays on ${release.id}: it is its first release, there is nothing to roll back to`
      : `${environment} stays on ${release.id} (verify: { rollback: false }); to go back: slipway rollback --env ${environment}`;
  return {
    report: { ...measured, status: 'failed', summary: verdict.summary },
    failure: new WorkFailedError(failed, { hint }),
    release: await record(),
  };
}

/**
 * Waits until `due` with visible progress: a countdown line on a terminal, a line on stderr now
 * and then elsewhere (logs stay readable). Rejects when `signal` aborts.
 */
async function waitUntil(
  due: Date,
  {
    environment,
    release,
    output,
    signal,
  }: { environment: string; release: string; output: Output; signal?: AbortSignal },
): Promise<void> {
  const left = (): number => due.getTime() - Date.now();
  const total = left();
  if (total <= 0) return;
  const say = (ms: number): string =>
    `Verifying ${environment} in ${formatDuration(Math.max(0, ms))} (verify.delay; ${release} is live; Ctrl-C stops waiting and leaves it unverified)`;
  // On a terminal a countdown redrawn every second; elsewhere a line at the start and every
  // quarter of the delay (at most every 30 s, at least every second).
  const every = output.interactive ? 1000 : Math.min(30_000, Math.max(1000, total / 4));
  if (output.interactive) logUpdate(say(total));
  else output.note(say(total));
  await new Promise<void>((resolve, reject) => {
    const tick = setInterval(() => {
      if (output.interactive) logUpdate(say(left()));
      else if (left() > every / 2) output.note(`… ${formatDuration(left())} before verifying ${environment}`);
    }, every);
    const done = setTimeout(finish, total);
    function finish(): void {
      clearInterval(tick);
      clearTimeout(done);
      signal?.removeEventListener('abort', abort);
      if (output.interactive) logUpdate.clear();
      resolve();
    }
    function abort(): void {
      clearInterval(tick);
      clearTimeout(done);
      if (output.interactive) logUpdate.clear();
      reject(signal?.reason ?? new Error('interrupted'));
    }
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
  });
}
