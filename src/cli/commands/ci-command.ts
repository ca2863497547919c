/**
 * `slipway ci --base REF`: the pull-request gate in one command. Validates the working tree's
 * project, runs the unit tests, plans against an environment (prod), builds only what changed
 * into `ci_<sha>` (the rest read prod's tables by reference), runs the changed models' checks,
 * diffs them against prod, writes the reports, and drops `ci_<sha>` unless `--keep`. Exit 1 when
 * anything blocks the merge.
 */
import { type Command, Option } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { addReportOptions } from '../render/report-options.js';

export function registerCi(program: Command): void {
  addReportOptions(
    program
      .command('ci')
      .description(
        'the pull-request gate: unit tests, plan, build the changed models in ci_<sha>, checks, data diff',
      )
      .option('--base <ref>', 'the git ref the branch merges into (e.g. origin/main)')
      .addOption(new Option('--env <env>', 'the environment to compare with').default('prod'))
      .option('--keep', 'keep the ci_<sha> environment and its tables afterwards (for a look)')
      .option('--wait', 'wait for a ci run of the same commit instead of failing (exit 3)')
      .option('--concurrency <n>', 'models built at once (default: the project setting)'),
  ).action(lazyAction(() => import('./ci-action.js'), 'ciAction'));
}
