/**
 * How the infrastructure part of a plan reads, beside the data plan: in the terminal like
 * Terraform's own plan (`+` add, `~` change, `-` remove), in Markdown for the pull request.
 */
import type { InfraPlan } from '../../core/infra-change.js';
import { escapeText } from '../../quality/reports/markdown-report.js';
import { pc } from './terminal.js';

/** An address inside a code span in a table cell: no backtick, no pipe, no line break. */
function codeCell(text: string): string {
  return text.replaceAll('`', "'").replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}

function counts(plan: InfraPlan): string {
  const c = plan.changes;
  return `${c.added.length} to add, ${c.changed.length} to change, ${c.removed.length} to remove`;
}

function heading(plan: InfraPlan): string {
  const c = plan.changes;
  const base = c.base ? ` against ${c.base.slice(0, 10)}` : '';
  return `Infrastructure for ${plan.environment} (${c.source}${base})`;
}

export function renderInfraText(plan: InfraPlan): string {
  const c = plan.changes;
  const lines = [pc.bold(heading(plan))];
  if (!c.filesChanged) lines.push('  No infrastructure files changed.');
  for (const a of c.added) lines.push(`${pc.green('+')} ${a}`);
  for (const a of c.changed) lines.push(`${pc.yellow('~')} ${a}`);
  for (const a of c.removed) lines.push(`${pc.red('-')} ${a}`);
  if (c.filesChanged) lines.push(`  ${counts(plan)}`);
  for (const d of c.diagnostics) lines.push(pc.red(`  ! ${d}`));
  lines.push(pc.dim(`  ${plan.step === 'apply' ? 'applied before the data release: ' : ''}${plan.reason}`));
  return lines.join('\n');
}

export function renderInfraMarkdown(plan: InfraPlan): string {
  const c = plan.changes;
  const out = [`**${escapeText(heading(plan))}**`, ''];
  if (!c.filesChanged) {
    out.push('No infrastructure files changed.', '');
  } else {
    out.push(`${counts(plan)}.`, '');
    const rows = [
      ...c.added.map((a) => ['add', a]),
      ...c.changed.map((a) => ['change', a]),
      ...c.removed.map((a) => ['remove', a]),
    ];
    if (rows.length > 0) {
      out.push('| action | resource |', '|---|---|');
      for (const [action, address] of rows) out.push(`| ${action} | \`${codeCell(address ?? '')}\` |`);
      out.push('');
    }
  }
  for (const d of c.diagnostics) out.push(`- ⚠️ ${escapeText(d)}`);
  out.push(
    `_${escapeText(plan.step === 'apply' ? `Applied before the data release: ${plan.reason}` : plan.reason)}_`,
  );
  return out.join('\n');
}
