/**
 * The Markdown report for a pull request (GitHub job summary, PR comment, Bitbucket report
 * details): a verdict line, then the plan, failing checks with their sample rows, unit tests and
 * data diffs. Cells are escaped so user data cannot break the tables.
 */
import type { Row, SqlValue } from '../../warehouse/warehouse.js';
import type { CheckResult } from '../check-result.js';
import { type QualityReport, reportTotals } from './quality-report.js';

const ICON = { pass: '✅', fail: '❌', warn: '⚠️', error: '💥' } as const;

export function renderMarkdownReport(report: QualityReport): string {
  const totals = reportTotals(report);
  const out: string[] = [];
  out.push(`## ${escapeText(report.title)}`, '');
  out.push(
    totals.blocking
      ? '**❌ Blocking problems: this change must not merge as it is.**'
      : '**✅ Nothing blocks this change.**',
    '',
  );
  out.push(
    `| | passed | failed | warnings | errors |`,
    `|---|---:|---:|---:|---:|`,
    `| checks | ${totals.checks.pass} | ${totals.checks.fail} | ${totals.checks.warn} | ${totals.checks.error} |`,
    `| unit tests | ${totals.tests.pass} | ${totals.tests.fail} | – | ${totals.tests.error} |`,
    '',
  );
  for (const note of report.notes ?? []) out.push(`> ${escapeText(note)}`, '');
  for (const section of report.sections ?? [])
    out.push(`### ${escapeText(section.title)}`, '', section.markdown.trim(), '');
  if (report.builds && report.builds.length > 0) {
    out.push('### Builds that failed', '');
    for (const b of report.builds.filter((x) => x.status === 'failed'))
      out.push(
        `${ICON.fail} **${escapeText(b.model)}** failed — \`${b.file}:${b.line}\`: ${escapeText(b.message.split('\n')[0] ?? '')}`,
        '',
      );
    const skipped = report.builds.filter((x) => x.status === 'skipped').map((x) => escapeText(x.model));
    if (skipped.length > 0)
      out.push(`Not built because something upstream failed: ${skipped.join(', ')}.`, '');
  }
  if (report.planMarkdown) out.push('### Plan', '', report.planMarkdown.trim(), '');
  const problems = report.checks.filter((c) => c.status !== 'pass');
  if (report.checks.length > 0) {
    out.push('### Checks', '');
    if (problems.length === 0)
      out.push(
        report.checks.length === 1 ? 'The one check passed.' : `All ${report.checks.length} checks passed.`,
        '',
      );
    for (const c of problems) out.push(...checkSection(c));
  }
  if (report.tests.length > 0) {
    out.push('### Unit tests', '');
    const failed = report.tests.filter((t) => t.status !== 'pass');
    if (failed.length === 0) out.push(`All ${report.tests.length} unit tests passed.`, '');
    for (const t of failed) {
      out.push(
        `${t.status === 'fail' ? ICON.fail : ICON.error} **${escapeText(t.name)}** (${escapeText(t.model)}) — \`${t.file}:${t.position.line}\`${t.message ? `: ${escapeText(t.message)}` : ''}`,
        '',
      );
      if (t.diff) out.push('```diff', t.diff, '```', '');
    }
  }
  if (report.diffs.length > 0) {
    out.push('### Data diff', '');
    out.push(
      '| model | rows before | rows after | added | removed | changed | columns changed |',
      '|---|---:|---:|---:|---:|---:|---|',
    );
    for (const { model, diff } of report.diffs) {
      const cols = diff.columns
        .filter((c) => c.changed > 0)
        .map((c) => `${c.name} ${(c.share * 100).toFixed(1)}%`)
        .join(', ');
      out.push(
        `| ${escapeCell(model)} | ${diff.rowsA} | ${diff.rowsB} | ${diff.added} | ${diff.removed} | ${diff.changed} | ${escapeCell(cols || '–')} |`,
      );
    }
    out.push('');
    for (const { model, diff } of report.diffs) {
      const schema = [
        ...diff.schema.added.map((c) => `+ ${c.name} ${c.type}`),
        ...diff.schema.removed.map((c) => `- ${c.name} ${c.type}`),
        ...diff.schema.retyped.map((c) => `~ ${c.name} ${c.from} → ${c.to}`),
      ];
      if (schema.length)
        out.push(
          `<details><summary>${escapeText(model)}: schema changes</summary>`,
          '',
          '```diff',
          ...schema,
          '```',
          '</details>',
          '',
        );
      if (diff.examples.changed.length) {
        out.push(
          `<details><summary>${escapeText(model)}: changed rows (examples)</summary>`,
          '',
          ...rowsTable(diff.examples.changed),
          '</details>',
          '',
        );
      }
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function checkSection(c: CheckResult): string[] {
  const lines = [
    `${ICON[c.status]} **${escapeText(c.id)}** (${c.kind}, ${c.severity}) — \`${c.position.file}:${c.position.line}\`: ${escapeText(c.message)}`,
    '',
  ];
  if (c.samples.length > 0)
    lines.push(
      '<details><summary>failing rows (sample)</summary>',
      '',
      ...rowsTable(c.samples),
      '</details>',
      '',
    );
  return lines;
}

export function rowsTable(rows: readonly Row[]): string[] {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (columns.length === 0) return [];
  return [
    `| ${columns.map(escapeCell).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => escapeCell(valueText(r[c]))).join(' | ')} |`),
    '',
  ];
}

function valueText(v: SqlValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'NULL';
  if (typeof v === 'object')
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

/** Text safe in a Markdown table cell: pipes, newlines, HTML and backticks neutralised. */
export function escapeCell(text: string): string {
  return escapeText(text).replaceAll('|', '\\|').replace(/\r?\n/g, '<br>');
}

/** Text safe in Markdown prose: no HTML injection, no accidental emphasis or links. */
export function escapeText(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/([\\`*_[\]])/g, '\\$1');
}
