/** `slipway build --env E`: build the selected models of an environment directly (the dev loop). */
import { type Command, Option } from 'commander';
import { openWarehouse } from '../../app/open-warehouse.js';
import { formatDuration } from '../../core/duration.js';
import { WorkFailedError } from '../../core/errors.js';
import { selectModels } from '../../project/dependency-graph.js';
import { fingerprintProject } from '../../project/fingerprint.js';
import { buildModels } from '../../release/build-models.js';
import { createLogger } from '../../telemetry/logger.js';
import { createTelemetry } from '../../telemetry/tracer.js';
import { interruptible } from '../interruptible.js';
import { type GlobalOptions, openProject, requireEnvironment } from '../project-context.js';
import { createBuildProgress } from '../render/build-progress.js';
import { createOutput, formatCount, renderTable, status } from '../render/terminal.js';

interface BuildOptions extends GlobalOptions {
  readonly env: string;
  readonly select?: string[];
  readonly exclude?: string[];
  readonly concurrency?: string;
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build every selected model of an environment directly (dev loop)')
    .addOption(new Option('--env <env>', 'environment to build').default('dev'))
    .option('-s, --select <selector...>', 'models to build: model, model+, +model, tag:x, path:dir')
    .option('--exclude <selector...>', 'models to leave out')
    .option('--concurrency <n>', 'models built at once (default: the project setting)')
    .action(async function buildAction(this: Command) {
      const options = this.optsWithGlobals<BuildOptions>();
      const output = createOutput({ json: Boolean(options.json) });
      const project = await openProject(options);
      requireEnvironment(project, options.env);
      const selected = selectModels(project, options.select ?? [], options.exclude ?? []);
      const concurrency = Number(options.concurrency ?? project.config.defaults?.concurrency ?? 4);
      const warehouse = await openWarehouse(project, { environment: options.env });
      const telemetry = createTelemetry();
      const logger = createLogger({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'warn' });
      const progress = createBuildProgress(output, selected.length);
      try {
        output.line(
          status.dim(`Building ${selected.length} models into ${options.env} (concurrency ${concurrency})`),
        );
        const summary = await interruptible((signal) =>
          buildModels({
            project,
            warehouse,
            environment: options.env,
            selected,
            fingerprints: fingerprintProject(project),
            concurrency,
            telemetry,
            logger,
            reporter: progress,
            signal,
          }),
        );
        progress.stop();
        const failed = summary.results.filter((r) => r.status === 'failed');
        const skipped = summary.results.filter((r) => r.status === 'skipped');
        output.data({
          environment: summary.environment,
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
            `${status.ok('✓')} ${summary.results.length} models built; ${options.env} switched in ${formatDuration(summary.durationMs)}`,
          );
        } else {
          throw new WorkFailedError(
            `${failed.length} failed, ${skipped.length} skipped; ${options.env} was not switched and still shows its previous build`,
          );
        }
      } finally {
        progress.stop();
        await warehouse.close();
        await telemetry.shutdown();
      }
    });
}
