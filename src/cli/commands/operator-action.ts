/**
 * `slipway operator --repo URL|PATH`: the long-running Git-Ops operator — watches the branch
 * (webhooks and polling), reconciles the promotion chain, runs schedules and serves the API.
 * SIGTERM (or Ctrl-C) stops it gracefully: no new work, the step in progress finishes, the lease
 * is released for a standby.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { InvalidArgumentError } from '../../core/errors.js';
import { defaultStandbyRetryMs } from '../../operator/operator.js';
import { ApiTokens } from '../../server/api-tokens.js';
import { webhookSecretsFromEnv } from '../../server/create-server-app.js';
import { openLogPipeline } from '../../telemetry/logs/log-pipeline.js';
import { startOperatorRuntime } from '../operator-runtime.js';
import type { GlobalOptions } from '../project-context.js';
import { stepHookFromEnvironment } from '../release-context.js';
import { createOutput, pc, status } from '../render/terminal.js';

interface OperatorOptions extends GlobalOptions {
  readonly repo: string;
  readonly branch: string;
  readonly home: string;
  readonly port: string;
  readonly host: string;
  readonly poll: string;
  readonly leaseTtl: string;
  readonly standbyRetry?: string;
  readonly logFormat?: string;
  readonly logTo: string;
  readonly logFile?: string;
}

export async function operatorAction(this: Command) {
  const options = this.optsWithGlobals<OperatorOptions>();
  // With the log stream on stdout, stdout carries log lines only.
  const output = createOutput({ json: Boolean(options.json) || options.logTo === 'stdout' });
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`--port must be 0..65535, not '${options.port}'`);
  const pollMs = options.poll === '0' ? 0 : parseDuration(options.poll);
  if (pollMs === undefined)
    throw new InvalidArgumentError(`--poll must be a duration such as 30s, not '${options.poll}'`);
  const leaseTtlMs = parseDuration(options.leaseTtl);
  if (!leaseTtlMs) throw new InvalidArgumentError(`--lease-ttl must be a duration such as 15s`);
  const standbyRetryMs = options.standbyRetry === undefined ? undefined : parseDuration(options.standbyRetry);
  if (options.standbyRetry !== undefined && !standbyRetryMs)
    throw new InvalidArgumentError(
      `--standby-retry must be a duration such as 3s, not '${options.standbyRetry}'`,
    );
  const tokens = await ApiTokens.load();
  const webhookSecrets = webhookSecretsFromEnv();
  if (options.logTo !== 'stderr' && options.logTo !== 'stdout')
    throw new InvalidArgumentError(`--log-to must be stderr or stdout, not '${options.logTo}'`);
  // Every line on the log stream is a pino line (JSON unless a terminal or --log-format pretty),
  // so a log shipper can parse all of it; only stdout carries the human summary.
  const logs = openLogPipeline({
    level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'info',
    format: options.logFormat,
    to: options.logTo,
    file: options.logFile,
  });
  const logger = logs.logger;
  const runtime = await startOperatorRuntime({
    repo: options.repo,
    branch: options.branch,
    home: path.resolve(options.home),
    port,
    host: options.host,
    pollMs,
    leaseTtlMs,
    ...(standbyRetryMs === undefined ? {} : { standbyRetryMs }),
    tokens,
    webhookSecrets,
    logger,
    ...(stepHookFromEnvironment() ? { step: stepHookFromEnvironment() } : {}),
    onStateChange: (state) => logger.info({ state }, `operator ${state}`),
  });
  if (options.logTo === 'stderr') output.data({ url: runtime.url, pid: process.pid, home: runtime.home });
  logger.info(
    { url: runtime.url, pid: process.pid, home: runtime.home, repo: options.repo, branch: options.branch },
    'operator listening',
  );
  output.line(`${status.ok('✓')} slipway operator listening on ${pc.bold(runtime.url)} (pid ${process.pid})`);
  output.line(
    status.dim(
      `  watching ${options.repo} ${options.branch}; poll ${pollMs > 0 ? options.poll : 'off'}; home ${runtime.home}`,
    ),
  );
  const retryMs = standbyRetryMs ?? defaultStandbyRetryMs(leaseTtlMs);
  output.line(
    status.dim(
      `  lease ${formatDuration(leaseTtlMs)}, standby retry ${formatDuration(retryMs)}: if the leader dies, a standby leads within ${formatDuration(leaseTtlMs + retryMs)}`,
    ),
  );
  if (!tokens.size)
    logger.warn('no API tokens (SLIPWAY_API_TOKENS or SLIPWAY_API_TOKENS_FILE): the API answers 401');
  if (!webhookSecrets.github && !webhookSecrets.bitbucket)
    logger.warn('no webhook secret (SLIPWAY_GITHUB_WEBHOOK_SECRET…): polling only');
  if (!tokens.size)
    output.line(
      status.warn('  no API tokens (SLIPWAY_API_TOKENS or SLIPWAY_API_TOKENS_FILE): the API answers 401'),
    );
  if (!webhookSecrets.github && !webhookSecrets.bitbucket)
    output.line(status.warn('  no webhook secret (SLIPWAY_GITHUB_WEBHOOK_SECRET…): polling only'));
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  logger.info('stopping: finishing the step in progress and releasing the lease');
  await runtime.stop();
  logger.info('stopped');
  await logs.close();
}
