/**
 * `slipway generate`: the reference project's synthetic data. `--slice N` appends the next time
 * slice (new transactions, late events, changed customers) so runs and incremental models have
 * real work. The generation itself is wired in `src/app/` (SQL on an in-memory DuckDB writing Parquet).
 */
import { type Command, Option } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description("generate the reference project's synthetic data (or append its next time slice)")
    .addOption(new Option('--scale <n>', '1 = about a million transactions').default('0.01'))
    .addOption(new Option('--slice <n>', '0 = the initial 30 days; N = the following day N').default('0'))
    .addOption(new Option('--seed <n>', 'random seed').default('42'))
    .option('--start <date>', 'first day of the history, YYYY-MM-DD (default: 30 days ago)')
    .action(lazyAction(() => import('./generate-action.js'), 'generateAction'));
}
