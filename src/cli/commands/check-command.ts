/** `slipway check --env E`: run the data-quality checks of the selected models and sources on E. */
import { type Command, Option } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { addReportOptions } from '../render/report-options.js';

export function registerCheck(program: Command): void {
  addReportOptions(
    program
      .command('check')
      .description("run data-quality checks on an environment's models and sources")
      .addOption(new Option('--env <env>', 'environment to check').default('dev'))
      .option('-s, --select <selector...>', 'models and sources: model, model+, +model, tag:x, source name')
      .option('--exclude <selector...>', 'models and sources to leave out'),
  ).action(lazyAction(() => import('./check-action.js'), 'checkAction'));
}
