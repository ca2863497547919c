/**
 * `slipway apply --env E`: release the working tree (or `--commit SHA`) to E. Under the lock it
 * settles an interrupted release first, then plans, shows the plan (and asks, on a terminal,
 * unless --yes), then carries out exactly that plan: what a person confirms is what happens.
 */
import type { Command } from 'commander';
import { AVAILABLE_STRATEGIES } from '../../release/strategies/strategy-names.js';
import { lazyAction } from '../lazy-action.js';

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('release the working tree (or --commit SHA) to an environment')
    .requiredOption('--env <env>', 'environment to release to')
    .option('--commit <sha>', 'release the project as of this commit')
    .option(
      '--strategy <strategy>',
      `${AVAILABLE_STRATEGIES.join(' or ')} (default: the environment setting)`,
    )
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .option('--wait', 'wait for the environment lock instead of failing (exit 3)')
    .option('--concurrency <n>', 'models built at once (default: the project setting)')
    .option('--no-checks', 'do not gate the switch on the data-quality checks of the built models')
    .option(
      '--no-verify',
      "skip the environment's post-deploy verification (verify: in slipway.yaml); recorded in the audit log",
    )
    .action(lazyAction(() => import('./apply-action.js'), 'applyAction'));
}
