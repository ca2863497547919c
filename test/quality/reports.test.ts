import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/quality/check-result.js';
import { renderBitbucketInsights } from '../../src/quality/reports/bitbucket-insights.js';
import { renderGithubAnnotations } from '../../src/quality/reports/github-annotations.js';
import { renderJUnitReport } from '../../src/quality/reports/junit-report.js';
import { renderMarkdownReport } from '../../src/quality/reports/markdown-report.js';
import type { QualityReport } from '../../src/quality/reports/quality-report.js';
import type { UnitTestResult } from '../../src/quality/unit-tests/run-unit-tests.js';

const result = (over: Partial<CheckResult>): CheckResult => ({
  id: 'fraud_alerts.alert_id.unique',
  kind: 'unique',
  target: 'fraud_alerts',
  column: 'alert_id',
  severity: 'error',
  tags: [],
  position: { file: 'models/marts/fraud_alerts.sql', line: 12, column: 3 },
  status: 'pass',
  failingRows: 0,
  totalRows: 10,
  failingPercent: 0,
  message: 'ok',
  samples: [],
  sql: 'select 1',
  durationMs: 12,
  ...over,
});

const failing = result({
  status: 'fail',
  failingRows: 2,
  message: '1 duplicated alert_id values in 2 of 10 rows',
  samples: [{ alert_id: 'ALR-<1>|&"x"', duplicate_count: 2 }],
});
const warning = result({
  id: 'fraud_alerts.*.row_count',
  kind: 'row_count',
  severity: 'warn',
  status: 'warn',
  message: '0 rows (min 1)',
});
const test: UnitTestResult = {
  name: 'velocity_window',
  model: 'int_card_velocity',
  file: 'tests/features.yml',
  position: { file: 'tests/features.yml', line: 2, column: 5 },
  status: 'fail',
  message: 'output differs from the expected rows',
  diff: '- { txn_id: 1, n: 2 }\n+ { txn_id: 1, n: 3 }',
  diagnostic: undefined,
  durationMs: 40,
};
const report: QualityReport = {
  title: 'jkl-fraud · ci_abc against prod',
  checks: [failing, warning, result({ id: 'x.y.not_null', kind: 'not_null' })],
  tests: [test],
  diffs: [],
};

describe('report renderers', () => {
  it('Markdown names the failing check, its file:line and its sample rows, escaped', () => {
    const md = renderMarkdownReport(report);
    expect(md).toContain('Blocking problems');
    expect(md).toContain('fraud\\_alerts.alert\\_id.unique');
    expect(md).toContain('`models/marts/fraud_alerts.sql:12`');
    expect(md).toContain('ALR-&lt;1&gt;\\|&amp;"x"');
    expect(md).toContain('```diff\n- { txn_id: 1, n: 2 }');
  });

  it('JUnit records every check and test, one failure per failing error check or test', () => {
    const xml = renderJUnitReport(report);
    expect(xml).toContain('<testsuite name="slipway.checks" tests="3" failures="1" errors="0"');
    expect(xml).toContain('<testsuite name="slipway.unit_tests" tests="1" failures="1"');
    expect(xml).toContain('file="models/marts/fraud_alerts.sql" line="12"');
    expect(xml).toContain('ALR-&lt;1&gt;|&amp;\\"x\\"');
    expect(xml).toContain('<system-out>warning: 0 rows (min 1)</system-out>');
    expect(xml.match(/<testcase /g)).toHaveLength(4);
  });

  it('GitHub annotations point at file and line with escaped values', () => {
    const lines = renderGithubAnnotations(report);
    expect(lines[0]).toBe(
      '::error file=models/marts/fraud_alerts.sql,line=12,col=3,title=check fraud_alerts.alert_id.unique::1 duplicated alert_id values in 2 of 10 rows',
    );
    expect(lines[1]).toMatch(/^::warning /);
    expect(lines[2]).toContain('%0A- { txn_id: 1, n: 2 }%0A+');
  });

  it('Bitbucket Code Insights: a FAILED TEST report and one annotation per problem', () => {
    const { report: r, annotations } = renderBitbucketInsights(report);
    expect(r).toMatchObject({ report_type: 'TEST', result: 'FAILED', reporter: 'Slipway' });
    expect(r.data.length).toBeLessThanOrEqual(6);
    expect(annotations.map((a) => [a.path, a.line, a.severity])).toEqual([
      ['models/marts/fraud_alerts.sql', 12, 'HIGH'],
      ['models/marts/fraud_alerts.sql', 12, 'LOW'],
      ['tests/features.yml', 2, 'HIGH'],
    ]);
    const passing = renderBitbucketInsights({ ...report, checks: [warning], tests: [] });
    expect(passing.report.result).toBe('PASSED');
  });

  it('reports a model that did not build as blocking, on its file (slipway ci)', () => {
    const ci: QualityReport = {
      title: 'jkl-fraud · ci_abc against prod',
      checks: [result({})],
      tests: [],
      diffs: [],
      notes: ['prod has never been released'],
      builds: [
        {
          model: 'fraud_alerts',
          file: 'models/marts/fraud_alerts.sql',
          line: 1,
          status: 'failed',
          message: 'Binder Error: x',
        },
        {
          model: 'customer_risk_scores',
          file: 'models/marts/c.model.ts',
          line: 1,
          status: 'skipped',
          message: 'upstream failed',
        },
      ],
    };
    const junit = renderJUnitReport(ci);
    expect(junit).toMatch(/<testsuites [^>]*tests="3" failures="1" errors="0"/);
    expect(junit).toMatch(/<testsuite name="slipway.builds" tests="2" failures="1" errors="0" skipped="1"/);
    expect(renderGithubAnnotations(ci)).toEqual([
      '::error file=models/marts/fraud_alerts.sql,line=1,title=model fraud_alerts did not build::Binder Error: x',
    ]);
    expect(renderBitbucketInsights(ci).report.result).toBe('FAILED');
    const markdown = renderMarkdownReport(ci);
    expect(markdown).toContain('Blocking problems');
    expect(markdown).toContain('> prod has never been released');
    expect(markdown).toContain(
      '❌ **fraud\\_alerts** failed — `models/marts/fraud_alerts.sql:1`: Binder Error: x',
    );
  });
});
