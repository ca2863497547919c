/** `slipway gc [--keep N] [--dry-run]`: drop physical tables nothing references any more. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('drop physical tables no environment and none of the last N releases reference')
    .option('--keep <n>', 'releases per environment whose tables are kept (for rollback)', '3')
    .option('--dry-run', 'list what would be dropped, drop nothing')
    .option('--wait', 'wait for the environment locks instead of failing (exit 3)')
    .action(lazyAction(() => import('./gc-action.js'), 'gcAction'));
}
