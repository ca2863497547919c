/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`): each failing check, unit
 * test or model build becomes an annotation on its file and line in the pull request. Values are escaped as the
 * runner expects (`%`, CR, LF everywhere; also `:` and `,` in properties).
 */
import type { Diagnostic } from '../../core/errors.js';
import type { QualityReport } from './quality-report.js';

export function renderGithubAnnotations(report: QualityReport): string[] {
  const lines: string[] = [];
  for (const c of report.checks) {
    if (c.status === 'pass') continue;
    const level = c.status === 'warn' ? 'warning' : 'error';
    lines.push(
      command(
        level,
        { file: c.position.file, line: c.position.line, col: c.position.column, title: `check ${c.id}` },
        c.message,
      ),
    );
  }
  for (const b of report.builds ?? []) {
    if (b.status !== 'failed') continue;
    lines.push(
      command('error', { file: b.file, line: b.line, title: `model ${b.model} did not build` }, b.message),
    );
  }
  for (const t of report.tests) {
    if (t.status === 'pass') continue;
    const detail = t.diff ? `${t.message}\n${t.diff}` : t.message;
    lines.push(
      command(
        'error',
        { file: t.file, line: t.position.line, col: t.position.column, title: `unit test ${t.name}` },
        detail,
      ),
    );
  }
  return lines;
}

/** Problems with the project itself (`file:line:col`), for a run that stopped before any report. */
export function renderDiagnosticAnnotations(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) =>
    command(
      d.severity === 'warning' ? 'warning' : 'error',
      { file: d.position.file, line: d.position.line, col: d.position.column, title: 'slipway' },
      d.hint ? `${d.message}\n${d.hint}` : d.message,
    ),
  );
}

function command(
  level: 'error' | 'warning',
  props: Readonly<Record<string, string | number>>,
  message: string,
): string {
  const properties = Object.entries(props)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${level} ${properties}::${escapeData(message)}`;
}

export function escapeData(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

export function escapeProperty(value: string): string {
  return escapeData(value).replaceAll(':', '%3A').replaceAll(',', '%2C');
}
