/** `slipway rollback --env E [--to RELEASE]`: re-point E at an earlier release; nothing is rebuilt. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('re-point an environment at its previous (or a named) release, without rebuilding')
    .requiredOption('--env <env>', 'environment to roll back')
    .option('--to <release>', 'release id to go back to (default: the one the current release replaced)')
    .option('--wait', 'wait for the environment lock instead of failing (exit 3)')
    .option('--reason <text>', 'why (recorded on the release rolled back, and in the audit log)')
    .action(lazyAction(() => import('./rollback-action.js'), 'rollbackAction'));
}
