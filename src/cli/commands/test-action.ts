/**
 * `slipway test`: the SQL unit tests, each in its own isolated engine of the project's warehouse
 * kind (an in-memory DuckDB, or a scratch schema in the PostgreSQL database; never its data), or
 * in-memory DuckDB when `--engine duckdb` forces it.
 */
import type { Command } from 'commander';
import { openUnitTestEngines } from '../../app/open-unit-test-warehouse.js';
import { formatDuration } from '../../core/duration.js';
import { InvalidArgumentError, ProjectError, WorkFailedError } from '../../core/errors.js';
import { selectModels } from '../../project/dependency-graph.js';
import type { Project, UnitTest } from '../../project/project.js';
import { runUnitTests, type UnitTestSummary } from '../../quality/unit-tests/run-unit-tests.js';
import { type GlobalOptions, openProject } from '../project-context.js';
import { statusText, writeReportFiles } from '../render/quality-output.js';
import type { ReportFileOptions } from '../render/report-options.js';
import { createOutput, pc, status } from '../render/terminal.js';

interface TestOptions extends GlobalOptions, ReportFileOptions {
  readonly select?: string[];
  readonly engine?: string;
}

export async function testAction(this: Command) {
  const options = this.optsWithGlobals<TestOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const project = await openProject(options);
  const tests = selectTests(project, options.select ?? []);
  const engines = await openUnitTestEngines(
    project,
    options.engine === undefined ? {} : { engine: options.engine },
  );
  let summary: UnitTestSummary;
  try {
    summary = await runUnitTests({
      project,
      tests,
      openEngine: engines.open,
      ...(engines.concurrency === undefined ? {} : { concurrency: engines.concurrency }),
      onResult: (r) => {
        output.line(
          `${statusText(r.status)} ${r.name} ${pc.dim(`(${r.model}) ${formatDuration(r.durationMs)}`)}${r.status === 'pass' ? '' : `\n  ${pc.dim(`${r.file}:${r.position.line}:${r.position.column}`)} ${r.message}`}`,
        );
        if (r.diff) output.line(colorDiff(r.diff));
      },
    });
  } finally {
    await engines.close();
  }
  await writeReportFiles(options, {
    title: `${project.config.name} · unit tests`,
    checks: [],
    tests: summary.results,
    diffs: [],
  });
  const failed = summary.results.filter((r) => r.status === 'fail').length;
  const errors = summary.results.filter((r) => r.status === 'error').length;
  if (output.json) {
    output.data({
      tests: summary.results,
      durationMs: Math.round(summary.durationMs),
      testsPerSecond: summary.testsPerSecond,
    });
  } else {
    output.line();
    output.line(
      `${failed + errors ? status.fail('✗') : status.ok('✓')} ${summary.results.length - failed - errors} passed, ${failed} failed, ${errors} errors in ${formatDuration(summary.durationMs)} (${summary.testsPerSecond.toFixed(1)} tests/s)`,
    );
  }
  const diagnostics = summary.results.flatMap((r) => (r.diagnostic ? [r.diagnostic] : []));
  if (diagnostics.length > 0) throw new ProjectError(diagnostics);
  if (failed + errors > 0) throw new WorkFailedError(`${failed + errors} unit tests failed`);
}

/** Tests named by a selector, or whose model a selector picks. */
function selectTests(project: Project, selectors: readonly string[]): UnitTest[] {
  if (selectors.length === 0) return [...project.tests];
  const words = selectors.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
  const names = new Set(project.tests.map((t) => t.name));
  const byName = new Set(words.filter((w) => names.has(w)));
  const modelSelectors = words.filter((w) => !names.has(w));
  const models = new Set(modelSelectors.length ? selectModels(project, modelSelectors) : []);
  const chosen = project.tests.filter((t) => byName.has(t.name) || models.has(t.model));
  if (chosen.length === 0) throw new InvalidArgumentError(`no unit tests match ${selectors.join(' ')}`);
  return chosen;
}

function colorDiff(diff: string): string {
  return diff
    .split('\n')
    .map((l) => `    ${l.startsWith('-') ? pc.red(l) : l.startsWith('+') ? pc.green(l) : pc.dim(l)}`)
    .join('\n');
}
