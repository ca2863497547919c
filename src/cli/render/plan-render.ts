/**
 * How a release plan reads: in the terminal like a Terraform plan (symbols, categories, SQL
 * diffs, then what is built, reused, checked and switched), in Markdown for a pull-request
 * comment, and as JSON for scripts. Unchanged models are counted, not listed.
 */

import { plural } from '../../core/plural.js';
import type { PlannedModel, ReleasePlan } from '../../release/plan-release.js';
import { strategyFor } from '../../release/strategies/strategy-for.js';
import { pc } from './terminal.js';

const SYMBOL: Readonly<Record<PlannedModel['change'], string>> = {
  added: '+',
  modified: '~',
  indirect: '~',
  removed: '-',
  unchanged: ' ',
};

function colorFor(change: PlannedModel['change']): (s: string) => string {
  if (change === 'added') return pc.green;
  if (change === 'removed') return pc.red;
  return pc.yellow;
}

function describeAction(m: PlannedModel): string {
  switch (m.action) {
    case 'build':
      return `build ${m.to?.table}`;
    case 'reuse':
      return `reuse ${m.to?.table}`;
    case 'keep':
      return `keep ${m.to?.table}`;
    case 'drop':
      return 'drop view';
  }
}

function categoryText(m: PlannedModel): string {
  if (!m.category) return '';
  const how =
    m.categorySource === 'header' ? ' (header)' : m.categorySource === 'upstream' ? ' (upstream)' : '';
  return `${m.category}${how}`;
}

function commitText(plan: ReleasePlan): string {
  if (!plan.commit) return 'working tree (not a git repository)';
  return `commit ${plan.commit.sha.slice(0, 12)} by ${plan.commit.author}${plan.commit.message ? ` — ${plan.commit.message}` : ''}`;
}

export function renderPlanText(plan: ReleasePlan): string {
  const lines: string[] = [];
  lines.push(
    pc.bold(`Plan for ${plan.environment} (${plan.strategy})`) +
      pc.dim(` from ${plan.fromRelease ? `release ${plan.fromRelease}` : 'nothing (first release)'}`),
  );
  lines.push(pc.dim(`  desired: ${commitText(plan)}`));
  lines.push('');
  const shown = plan.models.filter((m) => m.change !== 'unchanged');
  if (shown.length === 0) {
    lines.push(`No changes. ${plan.environment} already shows this project.`);
    return lines.join('\n');
  }
  const width = Math.max(...shown.map((m) => m.model.length));
  for (const m of shown) {
    const color = colorFor(m.change);
    const head = `${color(SYMBOL[m.change])} ${pc.bold(m.model.padEnd(width))}  ${color(m.change.padEnd(9))}`;
    const category = categoryText(m);
    lines.push(`${head} ${category ? `${category.padEnd(22)} ` : ''.padEnd(23)}${pc.dim(describeAction(m))}`);
    for (const reason of m.reasons) lines.push(pc.dim(`      ${reason}`));
    if (m.diff) {
      for (const line of m.diff.split('\n')) {
        const painted = line.startsWith('+')
          ? pc.green(line)
          : line.startsWith('-')
            ? pc.red(line)
            : pc.dim(line);
        lines.push(`      ${painted}`);
      }
    }
  }
  lines.push('');
  lines.push(
    `Physical tables: ${pc.bold(String(plan.build.length))} to build, ${plan.reuse.length} reused from earlier builds, ` +
      `${plan.models.filter((m) => m.action === 'keep').length} kept`,
  );
  if (plan.build.length > 0) lines.push(pc.dim(`  build: ${plan.build.map((b) => b.table).join(', ')}`));
  // The strategy says whether the checks gate the switch or report after it.
  const checksLabel =
    strategyFor(plan.strategy).gate === 'before-switch'
      ? 'Checks that gate'
      : 'Checks after the switch (report)';
  lines.push(
    plan.checks.length > 0
      ? `${checksLabel}: ${plan.checks.length} (${plan.checks.slice(0, 6).join(', ')}${plan.checks.length > 6 ? ', …' : ''})`
      : `${checksLabel}: none`,
  );
  lines.push(
    `Switch: ${plural(Object.keys(plan.target).length, 'view')} of ${plan.environment} in one transaction`,
  );
  lines.push('');
  const s = plan.summary;
  lines.push(
    pc.bold(
      `Plan: ${s.added} to add, ${s.modified + s.indirect} to change (${s.modified} directly), ${s.removed} to remove.`,
    ),
  );
  return lines.join('\n');
}

export function renderPlanMarkdown(plan: ReleasePlan): string {
  const s = plan.summary;
  const out: string[] = [];
  out.push(`### Slipway plan for \`${plan.environment}\` (${plan.strategy})`);
  out.push('');
  out.push(
    `Desired: ${commitText(plan)}. Live: ${plan.fromRelease ? `release \`${plan.fromRelease}\`` : 'nothing yet'}.`,
  );
  out.push('');
  out.push(
    `**${s.added} to add, ${s.modified + s.indirect} to change, ${s.removed} to remove** · ` +
      `${plural(plan.build.length, 'table')} to build, ${plan.reuse.length} reused · ${plural(plan.checks.length, 'gating check')} · ` +
      `${plural(Object.keys(plan.target).length, 'view')} switched in one transaction`,
  );
  const shown = plan.models.filter((m) => m.change !== 'unchanged');
  if (shown.length === 0) {
    out.push('', 'No changes.');
    return `${out.join('\n')}\n`;
  }
  out.push('', '| | model | change | category | table | why |', '|---|---|---|---|---|---|');
  for (const m of shown) {
    const cell = (t: string): string => t.replaceAll('|', '\\|');
    out.push(
      `| ${SYMBOL[m.change].trim() || '·'} | \`${m.model}\` | ${m.change} | ${categoryText(m) || '—'} | ${m.action} \`${m.to?.table ?? m.from?.table ?? ''}\` | ${cell(m.reasons.join('; '))} |`,
    );
  }
  const diffs = shown.filter((m) => m.diff);
  for (const m of diffs) {
    out.push(
      '',
      `<details><summary><code>${m.model}</code> SQL diff</summary>`,
      '',
      '```diff',
      m.diff ?? '',
      '```',
      '',
      '</details>',
    );
  }
  return `${out.join('\n')}\n`;
}

/** The plan as JSON: the plan value itself, which is plain data. */
export function planJson(plan: ReleasePlan): unknown {
  return plan;
}
