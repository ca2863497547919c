/**
 * What a quality report is made of: check results, unit-test results, data diffs, and for
 * `slipway ci` the plan as Markdown, the branch's changes and the models that did not build.
 * Every renderer in this folder is a pure function of it.
 */
import type { CheckResult } from '../check-result.js';
import { isBlocking } from '../check-result.js';
import type { DataDiffResult } from '../data-diff.js';
import type { UnitTestResult } from '../unit-tests/run-unit-tests.js';

export interface ModelDiff {
  readonly model: string;
  readonly diff: DataDiffResult;
}

/** A model that did not build (in `slipway ci`): blocking, placed at its file. */
export interface BuildProblem {
  readonly model: string;
  readonly file: string;
  readonly line: number;
  /** failed: its SQL failed; skipped: something upstream failed. */
  readonly status: 'failed' | 'skipped';
  readonly message: string;
}

/** A titled block of Markdown shown before the plan (e.g. the branch's commits and files). */
export interface ReportSection {
  readonly title: string;
  readonly markdown: string;
}

export interface QualityReport {
  /** e.g. `jkl-fraud · ci_1a2b3c against prod`. */
  readonly title: string;
  readonly checks: readonly CheckResult[];
  readonly tests: readonly UnitTestResult[];
  readonly diffs: readonly ModelDiff[];
  /** The release plan, already rendered as Markdown (from the planner). */
  readonly planMarkdown?: string;
  /** Link to the CI run, shown in reports that support one. */
  readonly link?: string;
  /** Models that failed to build (or were skipped because an upstream one failed). */
  readonly builds?: readonly BuildProblem[];
  /** Short statements the reader must see first (e.g. prod was never released). */
  readonly notes?: readonly string[];
  readonly sections?: readonly ReportSection[];
}

export interface ReportTotals {
  readonly checks: {
    readonly pass: number;
    readonly fail: number;
    readonly warn: number;
    readonly error: number;
  };
  readonly tests: { readonly pass: number; readonly fail: number; readonly error: number };
  readonly builds: { readonly failed: number; readonly skipped: number };
  /** Anything that must block the merge (error-severity checks, failing tests, failed builds). */
  readonly blocking: boolean;
}

export function reportTotals(report: QualityReport): ReportTotals {
  const checks = { pass: 0, fail: 0, warn: 0, error: 0 };
  for (const c of report.checks) checks[c.status] += 1;
  const tests = { pass: 0, fail: 0, error: 0 };
  for (const t of report.tests) tests[t.status] += 1;
  const builds = { failed: 0, skipped: 0 };
  for (const b of report.builds ?? []) builds[b.status] += 1;
  return {
    checks,
    tests,
    builds,
    blocking: report.checks.some(isBlocking) || tests.fail > 0 || tests.error > 0 || builds.failed > 0,
  };
}
