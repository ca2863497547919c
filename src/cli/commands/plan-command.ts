/** `slipway plan --env E`: what a release of the working tree (or `--commit`) to E would do. */
import type { Command } from 'commander';
import { AVAILABLE_STRATEGIES } from '../../release/strategies/strategy-names.js';
import { lazyAction } from '../lazy-action.js';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show what a release to an environment would build, check and switch')
    .requiredOption('--env <env>', 'environment to plan a release to')
    .option('--commit <sha>', 'plan the project as of this commit (default: the working tree)')
    .option(
      '--strategy <strategy>',
      `${AVAILABLE_STRATEGIES.join(' or ')} (default: the environment setting)`,
    )
    .option('--markdown', 'Markdown for a pull-request comment')
    .action(lazyAction(() => import('./plan-action.js'), 'planAction'));
}
