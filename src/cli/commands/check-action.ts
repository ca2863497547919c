/** `slipway check --env E`: run the data-quality checks of the selected models and sources on E. */
import type { Command } from 'commander';
import { openWarehouse } from '../../app/open-warehouse.js';
import { formatDuration } from '../../core/duration.js';
import { InvalidArgumentError, WorkFailedError } from '../../core/errors.js';
import { projectChecks } from '../../quality/project-checks.js';
import { runChecks } from '../../quality/run-checks.js';
import { selectCheckTargets } from '../../quality/select-check-targets.js';
import { environmentRelation, sourceRelation } from '../../release/physical-layout.js';
import { type GlobalOptions, openProject, requireEnvironment } from '../project-context.js';
import { printCheckResults, writeReportFiles } from '../render/quality-output.js';
import type { ReportFileOptions } from '../render/report-options.js';
import { createOutput, status } from '../render/terminal.js';

interface CheckOptions extends GlobalOptions, ReportFileOptions {
  readonly env: string;
  readonly select?: string[];
  readonly exclude?: string[];
  readonly now?: string;
}

export async function checkAction(this: Command) {
  const options = this.optsWithGlobals<CheckOptions>();
  const now = options.now === undefined ? undefined : Date.parse(options.now);
  if (now !== undefined && Number.isNaN(now))
    throw new InvalidArgumentError(`--now takes a time such as 2026-01-31T06:00:00Z, not '${options.now}'`);
  const output = createOutput({ json: Boolean(options.json) });
  const project = await openProject(options);
  requireEnvironment(project, options.env, { ephemeral: true });
  const targets = selectCheckTargets(project, options.select ?? [], options.exclude ?? []);
  const checks = projectChecks(project, targets);
  const warehouse = await openWarehouse(project, { environment: options.env, readOnly: true });
  try {
    const summary = await runChecks({
      warehouse,
      checks,
      relationOf: (name) => {
        const source = project.sources.get(name);
        return source ? sourceRelation(source) : environmentRelation(options.env, name);
      },
      names: [...project.models.keys(), ...project.sources.keys()],
      sampleRows: project.config.defaults?.check_sample_rows ?? 5,
      now: now === undefined ? undefined : () => now,
    });
    await writeReportFiles(options, {
      title: `${project.config.name} · checks on ${options.env}`,
      checks: summary.results,
      tests: [],
      diffs: [],
    });
    if (output.json) {
      // One document, also when checks block: the failure is its `blocking` and the exit code.
      output.data({
        environment: options.env,
        blocking: summary.blocking,
        queries: summary.queries,
        durationMs: Math.round(summary.durationMs),
        results: summary.results,
      });
    } else {
      printCheckResults(output, summary.results);
      const count = (s: string) => summary.results.filter((r) => r.status === s).length;
      output.line();
      output.line(
        `${summary.blocking ? status.fail('✗') : status.ok('✓')} ${summary.results.length} checks on ${options.env}: ${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warnings, ${count('error')} errors — ${summary.queries} queries in ${formatDuration(summary.durationMs)}`,
      );
    }
    if (summary.blocking) {
      throw new WorkFailedError(`error-severity checks failed on ${options.env}`, {
        hint: 'see the failing rows above; warn-severity checks do not block',
      });
    }
  } finally {
    await warehouse.close();
  }
}
