/** `slipway demo`: the whole Git-Ops story with real commits, then the operator keeps running. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('play the Git-Ops story on the reference project: CI, merges, the gate, promotion, rollback')
    .option('--dir <dir>', 'folder for the demo repository and operator home (replaced)', '.slipway-demo')
    .option('--scale <n>', 'size of the generated data (1 = about a million transactions)', '0.05')
    .option('--port <port>', 'API port (0: any free port)', '0')
    .option('--exit', 'stop the operator after the story (for CI and tests)')
    .action(lazyAction(() => import('./demo-action.js'), 'demoAction'));
}
