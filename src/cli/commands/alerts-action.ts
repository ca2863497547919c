/** The actions of `slipway alerts` (see alerts-command.ts). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { prometheusRules, prometheusRulesYaml } from '../../alerting/prometheus-rules.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { AlertRecord, SilenceRecord } from '../../state/alert-store.js';
import { discoverOperator } from '../operator-client.js';
import { type GlobalOptions, openProject } from '../project-context.js';
import { createOutput, renderTable, status } from '../render/terminal.js';

interface ExportOptions extends GlobalOptions {
  readonly format: string;
  readonly out?: string;
}

export async function alertsExportAction(this: Command) {
  const options = this.optsWithGlobals<ExportOptions>();
  if (options.format !== 'prometheus')
    throw new InvalidArgumentError(`--format must be prometheus, not '${options.format}'`, {
      hint: 'CloudWatch alarms come from `slipway infra generate`',
    });
  const project = await openProject(options);
  if (!project.alerts)
    throw new InvalidArgumentError('the project has no alerts.yaml', {
      hint: 'docs/alerting.md shows one',
    });
  const exported = prometheusRules(project.alerts);
  const text = prometheusRulesYaml(exported);
  const json = Boolean(options.json);
  for (const s of exported.skipped)
    process.stderr.write(`${status.warn('!')} ${s.rule} not exported: ${s.reason}\n`);
  if (options.out) {
    const file = path.resolve(options.out);
    await writeFile(file, text);
    const output = createOutput({ json });
    output.data({ file, rules: exported.groups[0]?.rules.length ?? 0, skipped: exported.skipped });
    output.line(
      `${status.ok('✓')} ${exported.groups[0]?.rules.length ?? 0} Prometheus alerting rules in ${file}`,
    );
    return;
  }
  if (json) process.stdout.write(`${JSON.stringify(exported, null, 2)}\n`);
  else process.stdout.write(text);
}

export async function alertsListAction(this: Command) {
  const options = this.optsWithGlobals<GlobalOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const operator = await discoverOperator(options);
  if (!operator)
    throw new InvalidArgumentError('no operator is running', {
      hint: 'set SLIPWAY_OPERATOR_URL (and SLIPWAY_TOKEN), or start `slipway operator`',
    });
  const { alerts } = await operator.get<{ alerts: (AlertRecord & { silencedBy: string | null })[] }>(
    '/api/v1/alerts',
  );
  const { silences } = await operator.get<{ silences: (SilenceRecord & { state: string })[] }>(
    '/api/v1/silences',
  );
  output.data({ operator: operator.url, alerts, silences });
  const labels = (l: Readonly<Record<string, string>>) =>
    Object.entries(l)
      .filter(([k]) => !['rule', 'severity', 'owner'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  output.line(
    alerts.length === 0
      ? 'no alerts'
      : renderTable(
          ['rule', 'status', 'severity', 'owner', 'labels', 'since', 'silenced', 'summary'],
          alerts.map((a) => [
            a.rule,
            a.status,
            a.severity,
            a.owner,
            labels(a.labels),
            a.startsAt,
            a.silencedBy ?? '',
            a.summary.slice(0, 80),
          ]),
        ),
  );
  output.line(
    silences.length === 0
      ? 'no silences'
      : renderTable(
          ['silence', 'state', 'matchers', 'from', 'until', 'by', 'comment'],
          silences.map((s) => [
            s.id,
            s.state,
            Object.entries(s.matchers)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
            s.startsAt,
            s.endsAt,
            s.createdBy,
            s.comment,
          ]),
        ),
  );
}
