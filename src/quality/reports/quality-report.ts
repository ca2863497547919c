/**
 * What a quality report is made of: check results, unit-test results and data diffs (and, once
 * releases land, the plan as Markdown). Every renderer in this folder is a pure function of it.
 */
import type { CheckResult } from '../check-result.js';
import { isBlocking } from '../check-result.js';
import type { DataDiffResult } from '../data-diff.js';
import type { UnitTestResult } from '../unit-tests/run-unit-tests.js';

export interface ModelDiff {
  readonly model: string;
  readonly diff: DataDiffResult;
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
}

export interface ReportTotals {
  readonly checks: {
    readonly pass: number;
    readonly fail: number;
    readonly warn: number;
    readonly error: number;
  };
  readonly tests: { readonly pass: number; readonly fail: number; readonly error: number };
  /** Anything that must block the merge (error-severity checks, failing tests). */
  readonly blocking: boolean;
}

export function reportTotals(report: QualityReport): ReportTotals {
  const checks = { pass: 0, fail: 0, warn: 0, error: 0 };
  for (const c of report.checks) checks[c.status] += 1;
  const tests = { pass: 0, fail: 0, error: 0 };
  for (const t of report.tests) tests[t.status] += 1;
  return {
    checks,
    tests,
    blocking: report.checks.some(isBlocking) || tests.fail > 0 || tests.error > 0,
  };
}
