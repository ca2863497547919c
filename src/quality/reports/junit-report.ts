/**
 * JUnit XML, the format every CI system reads: one test suite for checks and one for unit tests,
 * every check and test a test case. A failing error-severity check or test is a `<failure>`; a
 * check that could not run is an `<error>`; a warning passes and says so in `<system-out>`.
 * Written by a small escaping writer (no dependency needed for this much XML).
 */
import { type QualityReport, reportTotals } from './quality-report.js';

interface Case {
  readonly name: string;
  readonly classname: string;
  readonly file: string;
  readonly line: number;
  readonly seconds: number;
  readonly failure?: { readonly message: string; readonly body: string };
  readonly error?: { readonly message: string; readonly body: string };
  readonly skipped?: string;
  readonly out?: string;
}

export function renderJUnitReport(report: QualityReport): string {
  const checks: Case[] = report.checks.map((c) => {
    const body = [
      c.message,
      c.samples.length
        ? `sample rows:\n${c.samples.map((r) => JSON.stringify(r, bigintSafe)).join('\n')}`
        : '',
      c.sql ? `sql:\n${c.sql}` : '',
    ]
      .filter(Boolean)
      .join('\n\n');
    return {
      name: c.id,
      classname: `checks.${c.target}`,
      file: c.position.file,
      line: c.position.line,
      seconds: c.durationMs / 1000,
      ...(c.status === 'fail' ? { failure: { message: c.message, body } } : {}),
      ...(c.status === 'error' ? { error: { message: c.message, body } } : {}),
      ...(c.status === 'warn' ? { out: `warning: ${c.message}` } : {}),
    };
  });
  const tests: Case[] = report.tests.map((t) => ({
    name: t.name,
    classname: `unit_tests.${t.model}`,
    file: t.file,
    line: t.position.line,
    seconds: t.durationMs / 1000,
    ...(t.status === 'fail' ? { failure: { message: t.message, body: t.diff } } : {}),
    ...(t.status === 'error' ? { error: { message: t.message, body: t.message } } : {}),
  }));
  // Only models that did not build are listed (the plan says what built).
  const builds: Case[] = (report.builds ?? []).map((b) => ({
    name: b.model,
    classname: 'builds',
    file: b.file,
    line: b.line,
    seconds: 0,
    ...(b.status === 'failed'
      ? { failure: { message: `did not build: ${b.message.split('\n')[0] ?? ''}`, body: b.message } }
      : { skipped: b.message }),
  }));
  const totals = reportTotals(report);
  const suites = [suite('slipway.checks', checks), suite('slipway.unit_tests', tests)];
  if (builds.length > 0) suites.push(suite('slipway.builds', builds));
  const all = [...checks, ...tests, ...builds];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(report.title)}" tests="${all.length}" failures="${totals.checks.fail + totals.tests.fail + totals.builds.failed}" errors="${totals.checks.error + totals.tests.error}" time="${seconds(all)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function suite(name: string, cases: readonly Case[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const lines = [
    `  <testsuite name="${attr(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(cases)}">`,
  ];
  for (const c of cases) {
    const open = `    <testcase name="${attr(c.name)}" classname="${attr(c.classname)}" file="${attr(c.file)}" line="${c.line}" time="${c.seconds.toFixed(3)}"`;
    const inner: string[] = [];
    if (c.failure)
      inner.push(
        `      <failure message="${attr(c.failure.message)}" type="failure">${text(c.failure.body)}</failure>`,
      );
    if (c.error)
      inner.push(
        `      <error message="${attr(c.error.message)}" type="error">${text(c.error.body)}</error>`,
      );
    if (c.skipped !== undefined) inner.push(`      <skipped message="${attr(c.skipped)}"/>`);
    if (c.out) inner.push(`      <system-out>${text(c.out)}</system-out>`);
    lines.push(inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`);
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

function seconds(cases: readonly Case[]): string {
  return cases.reduce((sum, c) => sum + c.seconds, 0).toFixed(3);
}

/** XML 1.0 cannot carry most control characters at all; they are dropped. */
function clean(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing exactly these characters
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
}

function text(value: string): string {
  return clean(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function attr(value: string): string {
  return text(value)
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
    .replaceAll('\t', '&#9;');
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
