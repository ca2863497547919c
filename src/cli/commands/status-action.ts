/** `slipway status [--env E]`: what each environment shows, who holds it, its last run. */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import type { ReleaseRecord, ReleaseVerification } from '../../core/release.js';
import type { EnvironmentStatus } from '../../operator/operator-backend.js';
import { environmentLockName } from '../../release/environment-lock.js';
import { discoverOperator } from '../operator-client.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { loadReleaseProject, openStateStore } from '../release-context.js';
import { createOutput, renderTable, status } from '../render/terminal.js';

interface StatusOptions extends GlobalOptions {
  readonly env?: string;
}

export async function statusAction(this: Command) {
  const options = this.optsWithGlobals<StatusOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const operator = await discoverOperator(options);
  if (operator) {
    const environments = options.env
      ? [await operator.get<EnvironmentStatus>(`/api/v1/environments/${encodeURIComponent(options.env)}`)]
      : (await operator.get<{ environments: EnvironmentStatus[] }>('/api/v1/environments')).environments;
    output.data({ operator: operator.url, environments });
    output.line(renderOperatorStatus(environments));
    return;
  }
  const loaded = await loadReleaseProject(options);
  const state = await openStateStore(loaded.project, loaded.root);
  try {
    if (options.env) requireEnvironment(loaded.project, options.env);
    const names = options.env ? [options.env] : Object.keys(loaded.project.config.environments);
    const rows = [];
    for (const environment of names) {
      const pointer = await state.getPointer(environment);
      const release = pointer ? await state.getRelease(pointer.releaseId) : undefined;
      const lock = await state.getLock(environmentLockName(environment));
      const lockActive = lock !== undefined && Date.parse(lock.expiresAt) > Date.now();
      const [run] = await state.listRuns({ environment, limit: 1 });
      const unfinished = await state.unfinishedReleases(environment);
      rows.push({
        environment,
        release: release ? summary(release) : null,
        models: pointer ? Object.keys(pointer.models).length : 0,
        lock: lockActive ? lock : null,
        unfinished: unfinished.map((r) => ({ id: r.id, status: r.status })),
        lastRun: run
          ? {
              id: run.id,
              status: run.status,
              startedAt: run.startedAt,
              finishedAt: run.finishedAt ?? null,
            }
          : null,
      });
    }
    output.data({ environments: rows });
    output.line(
      renderTable(
        [
          'environment',
          'release',
          'kind',
          'commit',
          'author',
          'switched',
          'verified',
          'models',
          'lock',
          'last run',
        ],
        rows.map((r) => [
          status.bold(r.environment),
          r.release?.id ?? status.dim('none'),
          r.release?.kind ?? '',
          r.release?.commit?.slice(0, 10) ?? '',
          r.release?.author ?? '',
          r.release?.switchedAt ?? '',
          r.release ? verificationText(r.release.verification ?? undefined) : '',
          String(r.models),
          r.lock
            ? status.warn(`${r.lock.holder.purpose} (${r.lock.holder.user}, pid ${r.lock.holder.pid})`)
            : '',
          r.lastRun
            ? `${r.lastRun.status === 'failed' ? status.fail(r.lastRun.status) : r.lastRun.status} ${r.lastRun.startedAt}`
            : '',
        ]),
      ),
    );
    for (const r of rows)
      for (const u of r.unfinished)
        output.line(
          status.warn(
            `! ${r.environment}: release ${u.id} was interrupted (${u.status}); the next apply settles it`,
          ),
        );
  } finally {
    await state.close();
    await loaded.dispose();
  }
}

export function summary(release: ReleaseRecord) {
  return {
    id: release.id,
    kind: release.kind,
    strategy: release.strategy,
    status: release.status,
    commit: release.commit?.sha ?? null,
    author: release.commit?.author ?? null,
    committedAt: release.commit?.time ?? null,
    actor: release.actor,
    source: release.source ?? null,
    createdAt: release.createdAt,
    switchedAt: release.switchedAt ?? null,
    timings: release.timings,
    error: release.error ?? null,
    verification: release.verification ?? null,
    rolledBack: release.rolledBack ?? null,
    note: releaseNote(release) ?? null,
  };
}

/**
 * Why a release is not plainly succeeded, in one line: its error, its rollback (by which release,
 * why), or its failed verification when it stayed (`verify: { rollback: false }`).
 */
export function releaseNote(release: ReleaseRecord): string | undefined {
  if (release.error !== undefined) return release.error;
  if (release.rolledBack) return `rolled back by ${release.rolledBack.by}: ${release.rolledBack.reason}`;
  if (release.verification?.status === 'failed')
    return `post-deploy verification failed: ${release.verification.summary ?? ''}`;
  return undefined;
}

/** A release's post-deploy verification in a table cell (empty when its environment asks for none). */
export function verificationText(v: Pick<ReleaseVerification, 'status' | 'dueAt'> | undefined): string {
  if (!v) return '';
  switch (v.status) {
    case 'passed':
      return status.ok('passed');
    case 'failed':
      return status.fail('failed');
    case 'pending':
      return status.warn(pendingText(v.dueAt));
    case 'skipped':
      return status.warn('skipped');
  }
}

/** A release status in a table cell: green when it is live and well, red when it failed or was rolled back. */
export function releaseStatusText(value: string): string {
  if (value === 'succeeded') return status.ok(value);
  if (value === 'failed' || value === 'rolled_back') return status.fail(value);
  return status.warn(value);
}

/** The operator's view: sync status, live and desired commit, pause, approval, verification, drift. */
export function renderOperatorStatus(environments: readonly EnvironmentStatus[]): string {
  return renderTable(
    [
      'environment',
      'sync',
      'release',
      'commit',
      'PR',
      'desired',
      'policy',
      'paused',
      'approval',
      'verified',
      'drift',
    ],
    environments.map((e) => [
      status.bold(e.name),
      syncCell(e),
      e.live?.releaseId ?? status.dim('none'),
      e.live?.commit.sha.slice(0, 10) ?? '',
      e.live?.commit.pullRequest == null ? '' : `#${e.live.commit.pullRequest}`,
      e.desiredCommit?.slice(0, 10) ?? '',
      e.promoteFrom ? `${e.policy} ← ${e.promoteFrom}` : e.policy,
      e.paused ? status.warn(`Paused: ${e.paused.reason}`) : '',
      e.pendingApproval ? status.warn(`waiting: ${e.pendingApproval.releaseId}`) : '',
      verificationCell(e.verification),
      e.drift.length > 0 ? status.fail(e.drift.map((d) => `${d.relation} ${d.problem}`).join('; ')) : '',
    ]),
  );
}

/**
 * A pending verification: when it is due, or how late it is. Late by more than a minute, nothing
 * is verifying it (the command that released it was stopped, or no operator runs).
 */
export function pendingText(dueAt: string, now: number = Date.now()): string {
  const late = now - Date.parse(dueAt);
  return late > 60_000
    ? `pending, overdue by ${formatDuration(late)} (due ${dueAt})`
    : `pending (due ${dueAt})`;
}

/** The sync status, with the reason when Degraded and the next try when a retry waits. */
function syncCell(e: EnvironmentStatus): string {
  if (e.sync === 'Synced') return status.ok(e.sync);
  if (e.sync !== 'Degraded') return status.warn(e.sync);
  const retry = e.retry ? ` (retry ${e.retry.attempt} at ${e.retry.at})` : '';
  return status.fail(e.reason ? `Degraded: ${e.reason}${retry}` : `Degraded${retry}`);
}

/** The latest post-deploy verification: its release and outcome (a failure with its reason). */
function verificationCell(v: EnvironmentStatus['verification']): string {
  if (!v) return '';
  if (v.status === 'passed') return status.ok(`${v.releaseId} passed`);
  if (v.status === 'pending') return status.warn(`${v.releaseId} ${pendingText(v.dueAt)}`);
  if (v.status === 'skipped') return status.warn(`${v.releaseId} skipped: ${v.summary ?? ''}`);
  return status.fail(`${v.releaseId} failed: ${v.summary ?? ''}`);
}
