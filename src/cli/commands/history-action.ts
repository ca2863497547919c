/** `slipway history --env E`: an environment's releases, newest first, and its recent runs. */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Release } from '../../operator/operator-backend.js';
import { discoverOperator } from '../operator-client.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { loadReleaseProject, openStateStore } from '../release-context.js';
import { createOutput, renderTable, status } from '../render/terminal.js';
import { releaseNote, releaseStatusText, summary, verificationText } from './status-action.js';

interface HistoryOptions extends GlobalOptions {
  readonly env: string;
  readonly limit: string;
}

export async function historyAction(this: Command) {
  const options = this.optsWithGlobals<HistoryOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidArgumentError(`--limit must be a positive whole number, not '${options.limit}'`);
  const operator = await discoverOperator(options);
  if (operator) {
    const { releases } = await operator.get<{ releases: Release[] }>(
      `/api/v1/releases?environment=${encodeURIComponent(options.env)}&limit=${Math.min(limit, 500)}`,
    );
    output.data({ environment: options.env, operator: operator.url, releases });
    output.line(
      renderTable(
        ['release', 'status', 'verified', 'trigger', 'commit', 'PR', 'author', 'actor', 'started', 'note'],
        releases.map((r) => [
          status.bold(r.id),
          releaseStatusText(r.status),
          verificationText(r.verification ?? undefined),
          r.trigger,
          r.commit.sha.slice(0, 10),
          r.commit.pullRequest === null ? '' : `#${r.commit.pullRequest}`,
          r.commit.author,
          r.actor,
          r.startedAt,
          truncate(r.message ?? '', 100),
        ]),
      ),
    );
    return;
  }
  const loaded = await loadReleaseProject(options);
  const state = await openStateStore(loaded.project, loaded.root);
  try {
    requireEnvironment(loaded.project, options.env);
    const pointer = await state.getPointer(options.env);
    const releases = await state.listReleases({ environment: options.env, limit });
    const runs = await state.listRuns({ environment: options.env, limit });
    output.data({
      environment: options.env,
      current: pointer?.releaseId ?? null,
      releases: releases.map(summary),
      runs: runs.map((r) => ({ ...r })),
    });
    if (releases.length === 0) {
      output.line(`No releases of ${options.env} yet.`);
      return;
    }
    output.line(
      renderTable(
        [
          '',
          'release',
          'kind',
          'status',
          'verified',
          'commit',
          'author',
          'by',
          'created',
          'took',
          'from',
          'note',
        ],
        releases.map((r) => [
          r.id === pointer?.releaseId ? status.ok('●') : '',
          r.id,
          r.kind,
          releaseStatusText(r.status),
          verificationText(r.verification),
          r.commit?.sha.slice(0, 10) ?? '',
          r.commit?.author ?? '',
          r.actor,
          r.createdAt,
          r.timings['totalMs'] === undefined ? '' : formatDuration(r.timings['totalMs']),
          r.source ?? '',
          truncate(releaseNote(r) ?? r.verification?.summary ?? '', 100),
        ]),
      ),
    );
    if (runs.length > 0) {
      output.line();
      output.line(
        renderTable(
          ['run', 'release', 'status', 'started', 'finished'],
          runs.map((r) => [
            r.id,
            r.releaseId,
            r.status === 'failed' ? status.fail(r.status) : r.status,
            r.startedAt,
            r.finishedAt ?? '',
          ]),
        ),
      );
    }
  } finally {
    await state.close();
    await loaded.dispose();
  }
}

function truncate(text: string, max: number): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
