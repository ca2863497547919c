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
      .option('--exclude <selector...>', 'models and sources to leave out')
      .option(
        '--now <time>',
        'the time checks read as now (freshness, bounds like `now - 7d`), e.g. 2026-01-31T06:00:00Z',
      ),
  ).action(lazyAction(() => import('./check-action.js'), 'checkAction'));
}
