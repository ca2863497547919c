/** `slipway status [--env E]`: what each environment shows, who holds it, its last run. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('environments: their release, commit, lock and last run')
    .option('--env <env>', 'one environment only')
    .action(lazyAction(() => import('./status-action.js'), 'statusAction'));
}
