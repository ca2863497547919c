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
import { parseEmfTarget } from '../../telemetry/metrics/emf/emf-sinks.js';
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
  readonly pgPort?: string;
  readonly pgTlsCert?: string;
  readonly pgTlsKey?: string;
  readonly metricsEmf?: string;
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
  const pg = pgOptions(options);
  // Checked now, so a wrong destination is a usage error before anything starts.
  if (options.metricsEmf !== undefined) parseEmfTarget(options.metricsEmf);
  const telemetryEnv =
    options.metricsEmf === undefined
      ? undefined
      : { ...process.env, SLIPWAY_METRICS_EMF: options.metricsEmf };
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
    ...pg,
    logger,
    ...(stepHookFromEnvironment() ? { step: stepHookFromEnvironment() } : {}),
    onStateChange: (state) => logger.info({ state }, `operator ${state}`),
    ...(telemetryEnv ? { telemetryEnv } : {}),
  });
  if (options.logTo === 'stderr')
    output.data({ url: runtime.url, pgPort: runtime.pgPort ?? null, pid: process.pid, home: runtime.home });
  logger.info(
    { url: runtime.url, pid: process.pid, home: runtime.home, repo: options.repo, branch: options.branch },
    'operator listening',
  );
  output.line(`${status.ok('✓')} slipway operator listening on ${pc.bold(runtime.url)} (pid ${process.pid})`);
  if (runtime.pgPort !== undefined) {
    output.line(
      status.dim(
        `  PostgreSQL protocol on ${options.host}:${runtime.pgPort}${pg.pgTls ? ' (TLS)' : ''}; the password is an API token`,
      ),
    );
  }
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

/**
 * `--pg-port` (else `SLIPWAY_PG_PORT`) with `--pg-tls-cert`/`--pg-tls-key` (else
 * `SLIPWAY_PG_TLS_CERT`/`SLIPWAY_PG_TLS_KEY`): the PostgreSQL-protocol listener, off by default.
 */
function pgOptions(options: OperatorOptions): {
  pgPort?: number;
  pgTls?: { certFile: string; keyFile: string };
} {
  const portText = options.pgPort ?? process.env['SLIPWAY_PG_PORT'];
  if (portText === undefined || portText === '') return {};
  const pgPort = Number(portText);
  if (!Number.isInteger(pgPort) || pgPort < 0 || pgPort > 65535)
    throw new InvalidArgumentError(`--pg-port must be 0..65535, not '${portText}'`);
  const certFile = options.pgTlsCert ?? process.env['SLIPWAY_PG_TLS_CERT'];
  const keyFile = options.pgTlsKey ?? process.env['SLIPWAY_PG_TLS_KEY'];
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new InvalidArgumentError('--pg-tls-cert and --pg-tls-key go together', {
      hint: 'give both PEM files (or SLIPWAY_PG_TLS_CERT and SLIPWAY_PG_TLS_KEY), or neither',
    });
  return { pgPort, ...(certFile && keyFile ? { pgTls: { certFile, keyFile } } : {}) };
}
