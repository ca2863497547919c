/**
 * `slipway promote FROM TO`: TO takes FROM's model versions by reference; nothing is rebuilt.
 * TO's `verify:` block is honoured after the switch, as the operator honours it.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description("release an environment's model versions to another without rebuilding")
    .argument('<from>', 'environment to take the release from (e.g. staging)')
    .argument('<to>', 'environment to release to (e.g. prod)')
    .option('--wait', 'wait for the environment locks instead of failing (exit 3)')
    .option(
      '--no-verify',
      "skip TO's post-deploy verification (verify: in slipway.yaml); recorded in the audit log",
    )
    .action(lazyAction(() => import('./promote-action.js'), 'promoteAction'));
}
