/**
 * Terminal rendering shared by `check`, `test` and `diff`, and the report files they can write
 * (`--junit`, `--markdown`) through the pure renderers in `src/quality/reports/`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDuration } from '../../core/duration.js';
import type { CheckResult, CheckStatus } from '../../quality/check-result.js';
import type { DataDiffResult } from '../../quality/data-diff.js';
import { renderBitbucketInsights } from '../../quality/reports/bitbucket-insights.js';
import { renderGithubAnnotations } from '../../quality/reports/github-annotations.js';
import { renderJUnitReport } from '../../quality/reports/junit-report.js';
import { renderMarkdownReport } from '../../quality/reports/markdown-report.js';
import type { QualityReport } from '../../quality/reports/quality-report.js';
import type { Row, SqlValue } from '../../warehouse/warehouse.js';
import type { ReportFileOptions } from './report-options.js';
import { type Output, pc, renderTable, status } from './terminal.js';

export function statusText(s: CheckStatus | 'pass' | 'fail' | 'error'): string {
  switch (s) {
    case 'pass':
      return status.ok('pass');
    case 'fail':
      return status.fail('FAIL');
    case 'warn':
      return status.warn('warn');
    case 'error':
      return status.fail('ERROR');
  }
}

export function printCheckResults(output: Output, results: readonly CheckResult[]): void {
  output.line(
    renderTable(
      ['status', 'check', 'severity', 'failing', '%', 'time'],
      results.map((r) => [
        statusText(r.status),
        r.id,
        r.severity === 'error' ? 'error' : pc.dim('warn'),
        r.failingRows === undefined ? pc.dim('—') : r.failingRows.toLocaleString('en-US'),
        r.failingPercent === undefined ? pc.dim('—') : `${r.failingPercent.toFixed(2)}`,
        formatDuration(r.durationMs),
      ]),
      ['left', 'left', 'left', 'right', 'right', 'right'],
    ),
  );
  for (const r of results.filter((x) => x.status !== 'pass')) {
    output.line();
    output.line(
      `${statusText(r.status)} ${pc.bold(r.id)} ${pc.dim(`${r.position.file}:${r.position.line}:${r.position.column}`)}`,
    );
    output.line(`  ${r.message}`);
    if (r.samples.length > 0) output.line(indent(rowsTable(r.samples)));
  }
}

export function rowsTable(rows: readonly Row[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return renderTable(
    columns,
    rows.map((r) => columns.map((c) => cell(r[c]))),
  );
}

function cell(v: SqlValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return pc.dim('NULL');
  if (typeof v === 'object')
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export function printDiff(output: Output, model: string, d: DataDiffResult): void {
  output.line(pc.bold(`${model}`) + pc.dim(`  ${d.a.schema} → ${d.b.schema}, key (${d.key.join(', ')})`));
  for (const c of d.schema.added) output.line(`  ${pc.green('+')} column ${c.name} ${c.type}`);
  for (const c of d.schema.removed) output.line(`  ${pc.red('-')} column ${c.name} ${c.type}`);
  for (const c of d.schema.retyped) output.line(`  ${pc.yellow('~')} column ${c.name} ${c.from} → ${c.to}`);
  output.line(
    `  rows ${d.rowsA.toLocaleString('en-US')} → ${d.rowsB.toLocaleString('en-US')}: ${pc.green(`+${d.added}`)} added, ${pc.red(`-${d.removed}`)} removed, ${pc.yellow(`~${d.changed}`)} changed, ${d.unchanged} unchanged`,
  );
  if (d.duplicateKeysA || d.duplicateKeysB)
    output.line(
      status.warn(
        `  the key is not unique: ${d.duplicateKeysA} duplicated in ${d.a.schema}, ${d.duplicateKeysB} in ${d.b.schema}`,
      ),
    );
  const changed = d.columns.filter((c) => c.changed > 0);
  if (changed.length)
    output.line(
      indent(
        renderTable(
          ['column', 'changed', 'share'],
          changed.map((c) => [c.name, c.changed.toLocaleString('en-US'), `${(c.share * 100).toFixed(2)}%`]),
          ['left', 'right', 'right'],
        ),
      ),
    );
  for (const [label, rows] of [
    ['added', d.examples.added],
    ['removed', d.examples.removed],
    ['changed', d.examples.changed],
  ] as const) {
    if (rows.length === 0) continue;
    output.line(pc.dim(`  ${label} (examples)`));
    output.line(indent(rowsTable(rows)));
  }
}

/** Writes the report files asked for (`--junit`, `--markdown`, `--bitbucket-insights`, `--annotations`). */
export async function writeReportFiles(options: ReportFileOptions, report: QualityReport): Promise<void> {
  const write = async (file: string, text: string): Promise<void> => {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, text);
  };
  if (options.junit) await write(options.junit, renderJUnitReport(report));
  if (options.markdown) await write(options.markdown, renderMarkdownReport(report));
  if (options.bitbucketInsights) {
    const insights = renderBitbucketInsights(report);
    await write(
      path.join(options.bitbucketInsights, 'report.json'),
      `${JSON.stringify(insights.report, null, 2)}\n`,
    );
    await write(
      path.join(options.bitbucketInsights, 'annotations.json'),
      `${JSON.stringify(insights.annotations, null, 2)}\n`,
    );
  }
  if (options.annotations === 'github') {
    for (const line of renderGithubAnnotations(report)) process.stdout.write(`${line}\n`);
  }
}
