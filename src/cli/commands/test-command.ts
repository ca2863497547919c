/**
 * `slipway test`: the SQL unit tests, each in its own isolated engine of the project's warehouse
 * kind (an in-memory DuckDB, or a scratch schema in the PostgreSQL database; never its data), or
 * in-memory DuckDB when `--engine duckdb` forces it.
 */
import type { Command } from 'commander';
import { UNIT_TEST_ENGINES } from '../../app/unit-test-engines.js';
import { lazyAction } from '../lazy-action.js';
import { addReportOptions } from '../render/report-options.js';

export function registerTest(program: Command): void {
  addReportOptions(
    program
      .command('test')
      .description('run the SQL unit tests (fixture rows in, expected rows out)')
      .option('-s, --select <selector...>', 'tests of these models (model, model+, tag:x) or test names')
      .option(
        '--engine <engine>',
        `run on this engine instead of the project's warehouse engine (${UNIT_TEST_ENGINES.join(', ')})`,
      ),
  ).action(lazyAction(() => import('./test-action.js'), 'testAction'));
}
