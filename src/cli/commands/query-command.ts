/**
 * `slipway query --env E "SQL"`: a read-only query against an environment. Model and source
 * names in the query resolve to the environment's views, through the same parser that reads
 * models; the warehouse is opened read-only, so the engine itself refuses writes.
 */
import { type Command, Option } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('run a read-only query against an environment')
    .argument('<sql>', 'a SELECT; model and source names resolve to the environment')
    .addOption(new Option('--env <env>', 'environment to query').default('dev'))
    .addOption(new Option('--limit <n>', 'rows to show at most').default('100'))
    .action(lazyAction(() => import('./query-action.js'), 'queryAction'));
}
