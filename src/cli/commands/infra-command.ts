/**
 * `slipway infra generate`: its options and help; the action (infra-action.ts, with the project
 * loader and the Terraform generator) is imported when the command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerInfra(program: Command): void {
  const infra = program.command('infra').description('infrastructure as code for the project');
  infra
    .command('generate')
    .description('write Terraform JSON (*.tf.json) for the dashboards, alarms and warehouse databases')
    .option('--out <dir>', 'output folder (default: <project>/infra/generated)')
    .option('--region <region>', 'AWS region of the dashboards', 'eu-central-1')
    .action(lazyAction(() => import('./infra-action.js'), 'infraGenerateAction'));
}
