/** `slipway history --env E`: an environment's releases, newest first, and its recent runs. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description("an environment's releases and runs, newest first")
    .requiredOption('--env <env>', 'environment')
    .option('--limit <n>', 'releases to show', '20')
    .action(lazyAction(() => import('./history-action.js'), 'historyAction'));
}
