/** `slipway run --env E`: refresh the data of the release E shows (tables rebuilt, increments appended). */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('refresh data for the release an environment shows')
    .requiredOption('--env <env>', 'environment to run')
    .option('-s, --select <selector...>', 'models to refresh: model, model+, +model, tag:x')
    .option('--wait', 'wait for the environment lock instead of failing (exit 3)')
    .option('--concurrency <n>', 'models refreshed at once (default: the project setting)')
    .action(lazyAction(() => import('./run-action.js'), 'runAction'));
}
