/**
 * `slipway alerts`: the project's alert rules in other systems' formats —
 * `alerts export --format prometheus [--out FILE]` writes Prometheus alerting rules (checked by
 * `promtool check rules`) — and `alerts list`, the firing alerts and the silences of the running
 * operator (through its API).
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('alert rules, firing alerts and silences');
  alerts
    .command('export')
    .description("write alerts.yaml's rules in another format (Prometheus alerting rules)")
    .option('--format <format>', 'prometheus', 'prometheus')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(lazyAction(() => import('./alerts-action.js'), 'alertsExportAction'));
  alerts
    .command('list')
    .description("the running operator's alerts (firing, recently resolved) and silences")
    .action(lazyAction(() => import('./alerts-action.js'), 'alertsListAction'));
}
