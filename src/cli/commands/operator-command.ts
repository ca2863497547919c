/**
 * `slipway operator --repo URL|PATH`: the long-running Git-Ops operator — watches the branch
 * (webhooks and polling), reconciles the promotion chain, runs schedules and serves the API.
 * SIGTERM (or Ctrl-C) stops it gracefully: no new work, the step in progress finishes, the lease
 * is released for a standby.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

export function registerOperator(program: Command): void {
  program
    .command('operator')
    .description('run the Git-Ops operator: watch a branch, release and promote, serve the API')
    .requiredOption('--repo <url|path>', 'the repository to watch (git://, https://, ssh or a path)')
    .option('--branch <branch>', 'the branch to release', 'main')
    .option(
      '--home <dir>',
      'where the operator keeps its clone, state, warehouse and data',
      '.slipway/operator',
    )
    .option('--port <port>', 'HTTP port (0: any free port)', '8080')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--poll <duration>', 'poll interval (0 for webhooks only)', '30s')
    .option(
      '--lease-ttl <duration>',
      'leader lease time: a standby leads at most this plus --standby-retry after the leader dies (15s + 3s)',
      '15s',
    )
    .option(
      '--standby-retry <duration>',
      'how often a standby tries to take the lease (default: lease time / 5)',
    )
    .option('--log-to <stream>', 'the log stream: stderr or stdout', 'stderr')
    .option('--log-file <file>', 'also write JSON log lines to this file, rotated at 10 MiB (5 kept)')
    .action(lazyAction(() => import('./operator-action.js'), 'operatorAction'));
}
