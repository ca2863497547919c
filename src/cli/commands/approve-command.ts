/**
 * `slipway approve --env E`: approve the release waiting at E's manual gate (`approval: true`).
 * Through the running operator's API when there is one (it promotes at once); otherwise through
 * the same approve path the operator takes (`approveRelease`), on the operator state the
 * project's `state:` names (SQLite in the operator home by default, else PostgreSQL), stamped
 * with the live lease's term; the operator promotes on its next pass.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerApprove(program: Command): void {
  program
    .command('approve')
    .description('approve the release waiting at an environment’s manual gate')
    .requiredOption('--env <env>', 'environment whose promotion to approve')
    .option('--release <id>', 'the source release to approve (default: the one waiting)')
    .option('--comment <text>', 'recorded with the approval')
    .action(lazyAction(() => import('./approve-action.js'), 'approveAction'));
}
