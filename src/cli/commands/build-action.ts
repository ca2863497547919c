/**
 * `slipway build --env E`: build the selected models of an environment directly (the dev loop) —
 * a `direct` release of kind `build` (`buildRelease`), so `history` lists it.
 */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { WorkFailedError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { selectModels } from '../../project/dependency-graph.js';
import { fingerprintProject } from '../../project/fingerprint.js';
import { buildRelease } from '../../release/build-release.js';
import { interruptible } from '../interruptible.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { loadReleaseProject, withReleaseSession } from '../release-context.js';
import { createBuildProgress } from '../render/build-progress.js';
import { createOutput, formatCount, renderTable, status } from '../render/terminal.js';

interface BuildOptions extends GlobalOptions {
  readonly env: string;
  readonly select?: string[];
  readonly exclude?: string[];
  readonly concurrency?: string;
  readonly wait?: boolean;
}

export async function buildAction(this: Command) {
  const options = this.optsWithGlobals<BuildOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const loaded = await loadReleaseProject(options);
  const { project } = loaded;
  requireEnvironment(project, options.env);
  const selected = selectModels(project, options.select ?? [], options.exclude ?? []);
  const concurrency = Number(options.concurrency ?? project.config.defaults?.concurrency ?? 4);
  const progress = createBuildProgress(output, selected.length);
  try {
    const summary = await withReleaseSession(
      loaded,
      { environments: [options.env], purpose: `build ${options.env}`, wait: Boolean(options.wait) },
      (session) => {
        output.line(
          status.dim(
            `Building ${plural(selected.length, 'model')} into ${options.env} (concurrency ${concurrency})`,
          ),
        );
        return interruptible((signal) =>
          buildRelease(session, {
            project,
            fingerprints: fingerprintProject(project),
            environment: options.env,
            selected,
            commit: loaded.commit,
            actor: session.actor,
            concurrency,
            reporter: progress,
            signal,
          }),
        );
      },
    );
    progress.stop();
    const failed = summary.results.filter((r) => r.status === 'failed');
    const skipped = summary.results.filter((r) => r.status === 'skipped');
    output.data({
      environment: summary.environment,
      release: summary.release?.id ?? null,
      switched: summary.switched,
      durationMs: Math.round(summary.durationMs),
      models: summary.results.map((r) => ({
        name: r.name,
        kind: r.kind,
        status: r.status,
        rows: r.rows ?? null,
        durationMs: Math.round(r.durationMs),
        relation: `${r.relation.schema}.${r.relation.name}`,
        error: r.message ?? null,
      })),
    });
    output.line();
    output.line(
      renderTable(
        ['model', 'kind', 'status', 'rows', 'time'],
        summary.results.map((r) => [
          r.name,
          r.kind,
          r.status === 'built'
            ? status.ok(r.status)
            : r.status === 'failed'
              ? status.fail(r.status)
              : status.warn(r.status),
          formatCount(r.rows),
          formatDuration(r.durationMs),
        ]),
        ['left', 'left', 'left', 'right', 'right'],
      ),
    );
    for (const r of failed) output.line(`${status.fail('✗')} ${r.name}: ${r.message ?? ''}`);
    if (summary.switched) {
      output.line(
        `${status.ok('✓')} ${plural(summary.results.length, 'model')} built; ${options.env} switched to release ${summary.release?.id ?? '?'} in ${formatDuration(summary.durationMs)}`,
      );
    } else {
      throw new WorkFailedError(
        `${failed.length} failed, ${skipped.length} skipped; ${options.env} was not switched and still shows its previous build`,
      );
    }
  } finally {
    progress.stop();
    await loaded.dispose();
  }
}
