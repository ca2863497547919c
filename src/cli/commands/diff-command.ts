/** `slipway diff ENV_A ENV_B [--model M]`: what changed in the data between two environments. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('data diff of models between two environments (schema, rows added/removed/changed)')
    .argument('<envA>', 'the base environment (e.g. prod)')
    .argument('<envB>', 'the environment to compare with it')
    .option(
      '-m, --model <model...>',
      'models to compare (default: every model with a unique_key or unique check)',
    )
    .option(
      '--key <column...>',
      "columns identifying a row (default: the model's unique_key or unique check)",
    )
    .option('--examples <n>', 'example rows of each kind', '5')
    .action(lazyAction(() => import('./diff-action.js'), 'diffAction'));
}
