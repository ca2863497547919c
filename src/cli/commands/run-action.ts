/** `slipway run --env E`: refresh the data of the release E shows (tables rebuilt, increments appended). */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { InvalidArgumentError, WorkFailedError } from '../../core/errors.js';
import { selectModels } from '../../project/dependency-graph.js';
import { runEnvironment } from '../../release/run-environment.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { loadReleaseProject, withReleaseSession } from '../release-context.js';
import { createOutput, formatCount, renderTable, status } from '../render/terminal.js';

interface RunOptions extends GlobalOptions {
  readonly env: string;
  readonly select?: string[];
  readonly wait?: boolean;
  readonly concurrency?: string;
}

export async function runAction(this: Command) {
  const options = this.optsWithGlobals<RunOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const loaded = await loadReleaseProject(options);
  try {
    const { project } = loaded;
    requireEnvironment(project, options.env);
    const concurrency = Number(options.concurrency ?? project.config.defaults?.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new InvalidArgumentError(
        `--concurrency must be a positive whole number, not '${options.concurrency}'`,
      );
    const select = options.select?.length ? new Set(selectModels(project, options.select)) : undefined;
    await withReleaseSession(
      loaded,
      { environments: [options.env], purpose: `run ${options.env}`, wait: Boolean(options.wait) },
      async (session) => {
        const began = performance.now();
        const result = await runEnvironment(session, {
          project,
          environment: options.env,
          actor: session.actor,
          concurrency,
          ...(select ? { select } : {}),
        });
        output.data({ run: result.run, models: result.models });
        output.line(
          renderTable(
            ['model', 'kind', 'did', 'rows', 'added', 'time'],
            result.models.map((m) => [
              m.model,
              m.kind,
              m.action === 'failed'
                ? status.fail(m.action)
                : m.action === 'skipped'
                  ? status.warn(m.action)
                  : m.action,
              formatCount(m.rows),
              formatCount(m.added),
              formatDuration(m.durationMs),
            ]),
            ['left', 'left', 'left', 'right', 'right', 'right'],
          ),
        );
        if (result.run.status === 'failed') {
          throw new WorkFailedError(
            `run ${result.run.id} of ${options.env} failed: ${result.run.error ?? ''}`,
          );
        }
        output.line(
          `${status.ok('✓')} run ${result.run.id} of ${options.env} in ${formatDuration(performance.now() - began)}`,
        );
      },
    );
  } finally {
    await loaded.dispose();
  }
}
