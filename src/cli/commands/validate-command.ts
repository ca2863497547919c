/**
 * `slipway validate`: load the project and report every problem, or a one-line summary. Besides
 * the project's own rules it refuses what the configured warehouses cannot do (read without
 * connecting, from the capabilities each engine declares).
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('load and check the project; report every error')
    .action(lazyAction(() => import('./validate-action.js'), 'validateAction'));
}
