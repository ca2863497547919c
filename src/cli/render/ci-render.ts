/**
 * How `slipway ci` reads: the terminal summary (plan, tests, checks, diffs, verdict), the quality
 * report every renderer takes (with the branch's changes, notes and models that did not build;
 * file paths made relative to the repository root), and the `--json` document.
 */

import { formatDuration } from '../../core/duration.js';
import { plural } from '../../core/plural.js';
import type { BranchChanges } from '../../git/git-changes.js';
import type { ModelNode, Project } from '../../project/project.js';
import type { CheckResult } from '../../quality/check-result.js';
import { escapeCell, escapeText } from '../../quality/reports/markdown-report.js';
import type { BuildProblem, QualityReport } from '../../quality/reports/quality-report.js';
import type { UnitTestResult } from '../../quality/unit-tests/run-unit-tests.js';
import type { CiOutcome } from '../../release/run-ci.js';
import { renderPlanMarkdown, renderPlanText } from './plan-render.js';
import { printCheckResults, printDiff } from './quality-output.js';
import { type Output, pc, status } from './terminal.js';

export function printCiSummary(output: Output, o: CiOutcome): void {
  output.line();
  output.line(renderPlanText(o.plan));
  const tests = o.tests.results;
  const failedTests = tests.filter((t) => t.status !== 'pass');
  output.line();
  output.line(
    `${failedTests.length ? status.fail('✗') : status.ok('✓')} unit tests: ${tests.length - failedTests.length} of ${tests.length} passed`,
  );
  for (const t of failedTests)
    output.line(
      `  ${status.fail(t.status)} ${t.name} ${pc.dim(`${t.file}:${t.position.line}`)} ${t.message}`,
    );
  if (o.checks) {
    output.line();
    output.line(pc.bold(`Checks on ${o.ciEnvironment} (${o.checked.join(', ')})`));
    printCheckResults(output, o.checks.results);
  } else {
    output.line(pc.dim(`No checks ran on ${o.ciEnvironment}.`));
  }
  if (o.diffs.length > 0 || o.notDiffed.length > 0) {
    output.line();
    output.line(pc.bold(`Data diff against ${o.environment}`));
    for (const d of o.diffs) printDiff(output, d.model, d.diff);
    for (const line of notDiffedLines(o)) output.line(pc.dim(`  ${line}`));
  }
  output.line();
  const built = o.builds.filter((b) => b.status === 'built').length;
  const kept = o.plan.models.filter((m) => m.action === 'keep').length;
  output.line(
    `${o.ciEnvironment}: built ${plural(built, 'model')}${o.builds.length > built ? ` (${count(o, 'failed')} failed, ${count(o, 'skipped')} skipped)` : ''}, ` +
      `${kept} read ${o.environment}'s own tables, ${plural(o.plan.reuse.length, 'table')} built earlier reused; ` +
      (o.kept
        ? `kept: slipway query --env ${o.ciEnvironment} "…" (the next slipway gc drops its tables)`
        : `dropped${o.dropped.length ? ` with ${plural(o.dropped.length, 'table')} built only for it` : ''}`) +
      pc.dim(` — ${formatDuration(o.durationMs)}`),
  );
  if (o.blockers.length > 0) {
    output.line(status.fail(`✗ ${plural(o.blockers.length, 'blocking problem')}:`));
    for (const b of o.blockers) output.line(status.fail(`  - ${b}`));
  } else {
    output.line(status.ok('✓ nothing blocks this change'));
  }
}

/** The report every renderer reads; file positions are made relative to the repository root. */
export function ciReport(project: Project, o: CiOutcome, changes: BranchChanges | undefined): QualityReport {
  const prefix = changes?.prefix ?? '';
  const at = (file: string): string => `${prefix}${file}`;
  const checks: CheckResult[] = (o.checks?.results ?? []).map((c) => ({
    ...c,
    position: { ...c.position, file: at(c.position.file) },
  }));
  const tests: UnitTestResult[] = o.tests.results.map((t) => ({ ...t, file: at(t.file) }));
  const builds: BuildProblem[] = o.builds
    .filter((b) => b.status !== 'built')
    .map((b) => {
      const model = project.models.get(b.name);
      return {
        model: b.name,
        file: at(model?.file ?? ''),
        line: model ? failingLine(model, b.message ?? '') : 1,
        status: b.status === 'failed' ? 'failed' : 'skipped',
        message: b.message ?? '',
      };
    });
  const notes = [
    ...(o.baselineRelease === undefined
      ? [`${o.environment} has never been released: compared with an empty baseline, every model is new.`]
      : []),
    ...notDiffedLines(o),
  ];
  return {
    title: `${project.config.name} · ${o.ciEnvironment} against ${o.environment}`,
    checks,
    tests,
    diffs: o.diffs,
    // The report gives the plan its own heading.
    planMarkdown: renderPlanMarkdown(o.plan).replace(/^### .*\n+/, ''),
    builds,
    notes,
    sections: changes ? [{ title: 'Changes', markdown: changesMarkdown(changes) }] : [],
  };
}

/**
 * The file line a build error points at: the engine quotes the failing line (`LINE n: text`) of
 * the compiled SELECT, which keeps the model body's lines; that text is found in the file (the
 * occurrence nearest line n of the body). Otherwise, the model's own position.
 */
function failingLine(model: ModelNode, message: string): number {
  const match = /\bLINE (\d+): ?(.*)/.exec(message);
  const quoted = match?.[2]?.replace(/^\.\.\.|\.\.\.$/g, '').trim();
  if (model.language !== 'sql' || !match || !quoted) return model.position.line;
  const lines = model.text.split('\n');
  const estimate = model.text.slice(0, model.bodyOffset).split('\n').length + Number(match[1]) - 1;
  let best: number | undefined;
  lines.forEach((text, index) => {
    if (!text.includes(quoted)) return;
    if (best === undefined || Math.abs(index + 1 - estimate) < Math.abs(best - estimate)) best = index + 1;
  });
  return best ?? model.position.line;
}

function changesMarkdown(changes: BranchChanges): string {
  const out = [
    `Compared with \`${escapeText(changes.base)}\` (merge base \`${changes.mergeBase.slice(0, 8)}\`): ${plural(changes.commits.length, 'commit')}, ${plural(changes.files.length, 'file')} changed.`,
    '',
  ];
  if (changes.commits.length > 0) {
    out.push('| commit | author | message |', '|---|---|---|');
    for (const c of changes.commits)
      out.push(`| \`${c.sha.slice(0, 8)}\` | ${escapeCell(c.author)} | ${escapeCell(c.message)} |`);
    out.push('');
  }
  if (changes.files.length > 0) {
    out.push('<details><summary>files changed</summary>', '');
    for (const f of changes.files) out.push(`- ${f.status} \`${changes.prefix}${f.path}\``);
    out.push('', '</details>');
  }
  return out.join('\n');
}

export function ciJson(o: CiOutcome, changes: BranchChanges | undefined): unknown {
  return {
    ciEnvironment: o.ciEnvironment,
    environment: o.environment,
    baseline: { releaseId: o.baselineRelease ?? null, neverReleased: o.baselineRelease === undefined },
    changes: changes ?? null,
    blocking: o.blockers.length > 0,
    blockers: o.blockers,
    plan: o.plan,
    built: o.builds.map((b) => ({
      model: b.name,
      table: b.relation.name,
      status: b.status,
      rows: b.rows ?? null,
      error: b.message ?? null,
    })),
    reused: o.reused,
    tests: o.tests.results,
    checked: o.checked,
    checks: o.checks?.results ?? [],
    diffs: o.diffs,
    notDiffed: o.notDiffed,
    kept: o.kept,
    dropped: o.dropped,
    durationMs: Math.round(o.durationMs),
  };
}

/** Models not diffed, with models new to the baseline on one line rather than one each. */
function notDiffedLines(o: CiOutcome): string[] {
  const isNew = (n: { readonly reason: string }) => n.reason.startsWith('new');
  const added = o.notDiffed.filter(isNew).map((n) => n.model);
  return [
    ...(added.length > 0
      ? [
          `new (not in ${o.environment}), nothing to diff against: ${added.length > 8 ? `${added.length} models` : added.join(', ')}`,
        ]
      : []),
    ...o.notDiffed.filter((n) => !isNew(n)).map((n) => `${n.model}: not diffed (${n.reason})`),
  ];
}

function count(o: CiOutcome, status: 'failed' | 'skipped'): number {
  return o.builds.filter((b) => b.status === status).length;
}
