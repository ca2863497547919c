/**
 * `slipway build --env E`: build the selected models of an environment directly (the dev loop) —
 * a `direct` release of kind `build` (`buildRelease`), so `history` lists it.
 */
import { type Command, Option } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build every selected model of an environment directly (dev loop)')
    .addOption(new Option('--env <env>', 'environment to build').default('dev'))
    .option('-s, --select <selector...>', 'models to build: model, model+, +model, tag:x, path:dir')
    .option('--exclude <selector...>', 'models to leave out')
    .option('--concurrency <n>', 'models built at once (default: the project setting)')
    .option('--wait', 'wait for the environment lock instead of failing (exit 3)')
    .action(lazyAction(() => import('./build-action.js'), 'buildAction'));
}
