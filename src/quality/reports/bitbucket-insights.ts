/**
 * A Bitbucket Code Insights report (PUT …/commit/{sha}/reports/{id}) and its annotations (POST
 * …/reports/{id}/annotations), in the published format: a TEST report with PASSED/FAILED and up
 * to six data fields, and one annotation per failing check or test on its file and line.
 */
import { type QualityReport, reportTotals } from './quality-report.js';

export interface BitbucketReport {
  readonly title: string;
  readonly details: string;
  readonly report_type: 'TEST';
  readonly reporter: string;
  readonly result: 'PASSED' | 'FAILED';
  readonly link?: string;
  readonly data: readonly {
    readonly title: string;
    readonly type: 'NUMBER' | 'BOOLEAN' | 'TEXT';
    readonly value: number | boolean | string;
  }[];
}

export interface BitbucketAnnotation {
  readonly external_id: string;
  readonly annotation_type: 'BUG' | 'CODE_SMELL';
  readonly path: string;
  readonly line: number;
  readonly summary: string;
  readonly details: string;
  readonly result: 'FAILED' | 'PASSED' | 'SKIPPED';
  readonly severity: 'HIGH' | 'MEDIUM' | 'LOW' | 'CRITICAL';
}

/** Bitbucket caps a report's details and an annotation's summary; longer text is cut. */
const MAX_DETAILS = 2000;
const MAX_SUMMARY = 450;
/** Annotations per report (Bitbucket accepts at most 1000, 100 per request). */
const MAX_ANNOTATIONS = 1000;

export function renderBitbucketInsights(report: QualityReport): {
  readonly report: BitbucketReport;
  readonly annotations: readonly BitbucketAnnotation[];
} {
  const totals = reportTotals(report);
  const details = `${totals.checks.pass} checks passed, ${totals.checks.fail} failed, ${totals.checks.warn} warned, ${totals.checks.error} could not run; ${totals.tests.pass} unit tests passed, ${totals.tests.fail + totals.tests.error} failed${totals.builds.failed > 0 ? `; ${totals.builds.failed} models did not build` : ''}.`;
  const annotations: BitbucketAnnotation[] = [];
  for (const c of report.checks) {
    if (c.status === 'pass') continue;
    annotations.push({
      external_id: `slipway-check-${c.id}`,
      annotation_type: 'BUG',
      path: c.position.file,
      line: c.position.line,
      summary: cut(`check ${c.id}: ${c.message}`, MAX_SUMMARY),
      details: cut(
        [c.message, ...c.samples.map((r) => JSON.stringify(r, bigintSafe))].join('\n'),
        MAX_DETAILS,
      ),
      result: 'FAILED',
      severity: c.status === 'warn' ? 'LOW' : c.status === 'error' ? 'MEDIUM' : 'HIGH',
    });
  }
  for (const b of report.builds ?? []) {
    if (b.status !== 'failed') continue;
    annotations.push({
      external_id: `slipway-build-${b.model}`,
      annotation_type: 'BUG',
      path: b.file,
      line: b.line,
      summary: cut(`model ${b.model} did not build: ${b.message}`, MAX_SUMMARY),
      details: cut(b.message, MAX_DETAILS),
      result: 'FAILED',
      severity: 'HIGH',
    });
  }
  for (const t of report.tests) {
    if (t.status === 'pass') continue;
    annotations.push({
      external_id: `slipway-test-${t.name}`,
      annotation_type: 'BUG',
      path: t.file,
      line: t.position.line,
      summary: cut(`unit test ${t.name}: ${t.message}`, MAX_SUMMARY),
      details: cut(t.diff || t.message, MAX_DETAILS),
      result: 'FAILED',
      severity: 'HIGH',
    });
  }
  return {
    report: {
      title: cut(report.title, 450),
      details: cut(details, MAX_DETAILS),
      report_type: 'TEST',
      reporter: 'Slipway',
      result: totals.blocking ? 'FAILED' : 'PASSED',
      ...(report.link ? { link: report.link } : {}),
      data: [
        { title: 'Blocking', type: 'BOOLEAN', value: totals.blocking },
        { title: 'Checks passed', type: 'NUMBER', value: totals.checks.pass },
        { title: 'Checks failed', type: 'NUMBER', value: totals.checks.fail + totals.checks.error },
        { title: 'Check warnings', type: 'NUMBER', value: totals.checks.warn },
        { title: 'Unit tests passed', type: 'NUMBER', value: totals.tests.pass },
        { title: 'Unit tests failed', type: 'NUMBER', value: totals.tests.fail + totals.tests.error },
      ],
    },
    annotations: annotations.slice(0, MAX_ANNOTATIONS),
  };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
