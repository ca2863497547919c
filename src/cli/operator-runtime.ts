/**
 * The running operator, assembled: the git mirror and watcher, the leader lease, the reconciler
 * over the release code, the scheduler, alerting (src/app/open-alerting.ts: evaluated while
 * leading, delivered through bounded queues) and the HTTP server. The state adapters come from the
 * branch head's `state:` (src/app/open-state.ts: SQLite in the home by default, or all of state,
 * operator store and lease in a shared PostgreSQL database); the DuckDB parser is chosen here. `slipway operator`,
 * `slipway demo`, the benchmark and the tests all start it through `startOperatorRuntime`.
 *
 * The operator home holds everything the operator owns:
 *   .slipway/state.db       releases, pointers, runs, events (SQLite state; else PostgreSQL)
 *   .slipway/operator.db    leader lease, sync controls, release annotations (fenced by term)
 *   .slipway/state-config.json  the `state:` last read from the branch (the variable name only)
 *   .slipway/warehouse.duckdb  (or wherever the project's connection points, relative to home)
 *   data/                   input data, linked into every checked-out commit
 *   mirror.git, checkouts/  the bare clone and commit checkouts
 *   operator.json           URL and pid of the leader, for the CLI to find it
 */

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alertRulesAtHandledCommit, processResourceReader } from '../app/alert-inputs.js';
import { modelWritesFrom } from '../app/model-writes.js';
import { type Alerting, type AlertingOptions, openAlerting } from '../app/open-alerting.js';
import { operatorInfraStep } from '../app/open-infra.js';
import { type Observability, openObservability } from '../app/open-observability.js';
import { openSqlParser } from '../app/open-sql-parser.js';
import { openOperatorState, type StateConfig } from '../app/open-state.js';
import { openWarehouse } from '../app/open-warehouse.js';
import { operatorStateConfig } from '../app/operator-state-config.js';
import { ConflictError, errorMessage, WarehouseError } from '../core/errors.js';
import { GitMirror } from '../git/git-mirror.js';
import { type CommitConfig, CommitWorkspace } from '../operator/commit-workspace.js';
import {
  DEFAULT_READ_LIMITS,
  OperatorEnvironmentReader,
  type ReadLimits,
} from '../operator/environment-reads.js';
import type { CommitSource } from '../operator/git-watcher.js';
import { GitOpsBackend } from '../operator/gitops-backend.js';
import { DEFAULT_LEASE_TTL_MS, Operator, type OperatorState } from '../operator/operator.js';
import { GitOpsReconciler, type TimelineEntry } from '../operator/reconciler.js';
import { RunScheduler } from '../operator/run-scheduler.js';
import { loadProject } from '../project/load-project.js';
import { withEnvironmentLocks } from '../release/environment-lock.js';
import type { StepHook } from '../release/release-steps.js';
import { runEnvironment } from '../release/run-environment.js';
import type { ApiTokens } from '../server/api-tokens.js';
import { createServerApp } from '../server/create-server-app.js';
import { type RunningPgWireServer, startPgWireServer } from '../server/pg-wire/pg-wire-server.js';
import { type RunningServer, startHttpServer } from '../server/start-http-server.js';
import type { StateStore } from '../state/state-store.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import type { StatementObserver } from '../warehouse/statement-observer.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export const OPERATOR_FILE = 'operator.json';

export interface OperatorRuntimeOptions {
  /** URL or path of the repository. */
  readonly repo: string;
  readonly branch: string;
  readonly home: string;
  readonly port: number;
  readonly host: string;
  /** Poll interval; 0 disables polling (webhooks only). */
  readonly pollMs: number;
  readonly settleMs?: number;
  readonly leaseTtlMs?: number;
  /** How often a standby tries to take the lease (default a fifth of the lease time). */
  readonly standbyRetryMs?: number;
  readonly tokens: ApiTokens;
  readonly webhookSecrets?: { readonly github?: string; readonly bitbucket?: string };
  /** Input data linked into each checkout as `data/`. Default `<home>/data`, else `<repo>/data`. */
  readonly dataDir?: string;
  /** First retry of a sync that failed for a transient cause, doubling after (default 5 s). */
  readonly retryBaseMs?: number;
  readonly logger?: Logger;
  readonly step?: StepHook;
  readonly onTimeline?: (entry: TimelineEntry) => void;
  readonly onStateChange?: (state: OperatorState) => void;
  /**
   * Where the state lives (`state:` of slipway.yaml). Default: the branch head's, read at start;
   * an explicit `undefined` is the SQLite default in the home.
   */
  readonly state?: StateConfig | undefined;
  /** Where the telemetry variables (OTEL_*, OPENLINEAGE_*) are read. Default `process.env`. */
  readonly telemetryEnv?: Readonly<Record<string, string | undefined>>;
  /** Row cap and statement timeout of query serving (HTTP and the PostgreSQL protocol). */
  readonly readLimits?: Partial<ReadLimits>;
  /** Serve the PostgreSQL protocol on this port (0: any free port); off when undefined. */
  readonly pgPort?: number;
  /** PEM certificate and key for the PostgreSQL protocol's TLS. */
  readonly pgTls?: { readonly certFile: string; readonly keyFile: string };
  /** PostgreSQL-protocol connections served at once (default 200). */
  readonly pgMaxConnections?: number;
  /** Where the alert channels' secrets (the variables alerts.yaml names) are read. Default `process.env`. */
  readonly alertEnv?: Readonly<Record<string, string | undefined>>;
  /** How often alerts are evaluated while leading. Default 5 s. */
  readonly alertIntervalMs?: number;
  /** Retries, backoff and timeouts of notification delivery (tests shorten them). */
  readonly alertDelivery?: Pick<
    AlertingOptions,
    'maxQueue' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'timeoutMs'
  >;
}

export interface OperatorRuntime {
  readonly url: string;
  /** The PostgreSQL-protocol port, when it is served. */
  readonly pgPort: number | undefined;
  readonly home: string;
  readonly operator: Operator;
  readonly reconciler: GitOpsReconciler;
  readonly backend: GitOpsBackend;
  readonly state: StateStore;
  /** Traces, metrics and lineage of this operator. */
  readonly observability: Observability;
  /** Alert evaluation and notification delivery. */
  readonly alerting: Alerting;
  /** Resolves when this process has become the leader. */
  leader(): Promise<void>;
  stop(): Promise<void>;
}

export interface OperatorFile {
  readonly url: string;
  readonly pid: number;
  readonly repo: string;
  readonly branch: string;
  readonly startedAt: string;
}

export async function startOperatorRuntime(options: OperatorRuntimeOptions): Promise<OperatorRuntime> {
  const home = path.resolve(options.home);
  await mkdir(path.join(home, '.slipway'), { recursive: true });
  const logger = options.logger ?? createLogger({ level: process.env['SLIPWAY_LOG_LEVEL'] ?? 'warn' });
  const mirror = new GitMirror({
    url: options.repo,
    branch: options.branch,
    directory: path.join(home, 'mirror.git'),
  });
  const workspace = new CommitWorkspace({
    mirror,
    directory: path.join(home, 'checkouts'),
    links: { data: options.dataDir ?? defaultDataDir(home, options.repo) },
    // A parser (an in-memory engine) per load, so an idle operator holds none.
    loadProject: async (directory) => {
      const parser = await openSqlParser();
      try {
        return await loadProject(directory, { parser });
      } finally {
        await parser.close();
      }
    },
  });
  const stateConfig =
    'state' in options ? options.state : await operatorStateConfig({ mirror, workspace, home, logger });
  const adapters = await openOperatorState(stateConfig, { home });
  const { state, store, lease } = adapters;
  // Fetch failures, for the `operator_degraded` (git unreachable) alert.
  let gitFailure: string | undefined;
  const source: CommitSource = {
    url: mirror.url,
    branch: mirror.branch,
    fetch: async () => {
      try {
        const sha = await mirror.fetch();
        gitFailure = undefined;
        return sha;
      } catch (error) {
        gitFailure = errorMessage(error);
        throw error;
      }
    },
    head: () => mirror.head(),
    hasCommit: (sha) => mirror.hasCommit(sha),
    commitsBetween: (from, to, max) => mirror.commitsBetween(from, to, max),
  };
  const warehouseFiles = new Set<string>();
  const observability = openObservability({
    ...(options.telemetryEnv ? { env: options.telemetryEnv } : {}),
    operator: true,
    warehouseFiles: () => [...warehouseFiles],
    modelWrites: modelWritesFrom(state),
    logger,
  });
  const { telemetry } = observability;
  const alerting = openAlerting({
    state,
    store: adapters.alerts,
    config: alertRulesAtHandledCommit({ mirror, lastHandled: () => store.lastHandledCommit(), logger }),
    gitError: () => gitFailure,
    readResources: processResourceReader(() => [...warehouseFiles]),
    logger,
    ...(options.alertEnv ? { env: options.alertEnv } : {}),
    ...(options.alertIntervalMs === undefined ? {} : { intervalMs: options.alertIntervalMs }),
    ...(observability.metrics ? { registry: observability.metrics.registry } : {}),
    ...options.alertDelivery,
  });
  let led = false;
  let operator: Operator | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, body: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      body();
    }, ms);
    timer.unref();
    timers.add(timer);
  };
  // The environment locks this operator takes expire with its leadership (see ReleaseActions).
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const term = (): number | undefined => (operator?.state === 'leader' ? operator.grant?.term : undefined);
  const reconciler: GitOpsReconciler = new GitOpsReconciler({
    state,
    store,
    workspace,
    commitInfo: (sha) => mirror.commit(sha),
    head: () => mirror.head().catch(() => undefined),
    openWarehouse: (commit) => {
      const connection = commit.config.warehouse.connections[commit.config.warehouse.default];
      if (connection?.type === 'duckdb' && connection.path !== ':memory:') {
        warehouseFiles.clear();
        warehouseFiles.add(path.resolve(home, connection.path));
      }
      return openOperatorWarehouse(commit, home, observability.statementObserver);
    },
    lockLeaseMs: leaseTtlMs,
    ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
    logger,
    telemetry,
    infraFor: ({ loaded, environment, base }) =>
      operatorInfraStep({ project: loaded.project, environment, base, head: loaded.sha }),
    ...(options.step ? { step: options.step } : {}),
    ...(options.onTimeline ? { onTimeline: options.onTimeline } : {}),
    onPass: () => {
      if (term() !== undefined)
        void startScheduler().catch((e: unknown) => logger.warn({ err: e }, 'scheduler failed'));
    },
    requestPass: (afterMs) =>
      later(afterMs, () => {
        const t = term();
        if (t !== undefined)
          void reconciler.refresh(t).catch((e: unknown) => logger.warn({ err: e }, 'refresh failed'));
      }),
  });
  let scheduler: RunScheduler | undefined;
  let schedulerStart: Promise<void> | undefined;
  // Once per leadership, after the first pass (when the environments are known).
  const startScheduler = (): Promise<void> => {
    schedulerStart ??= createScheduler();
    return schedulerStart;
  };
  const stopScheduler = async (): Promise<void> => {
    const running = scheduler;
    scheduler = undefined;
    schedulerStart = undefined;
    await running?.stop();
  };
  const createScheduler = async (): Promise<void> => {
    const schedules = reconciler.environments.flatMap((e) =>
      e.schedule ? [{ environment: e.name, cron: e.schedule }] : [],
    );
    if (schedules.length === 0) return;
    scheduler = new RunScheduler({
      schedules,
      logger,
      lastRunAt: async (environment) => {
        const [run] = await state.listRuns({ environment, limit: 1 });
        return run ? new Date(run.startedAt) : undefined;
      },
      run: (request) =>
        reconciler.withServices(async (services, loaded) => {
          if (!loaded) return;
          await withEnvironmentLocks(
            state,
            [request.environment],
            { purpose: `run ${request.environment}`, wait: 60_000, leaseMs: leaseTtlMs, telemetry },
            () =>
              runEnvironment(services, {
                project: loaded.project,
                environment: request.environment,
                actor: `scheduler (${request.reason})`,
                concurrency: loaded.project.config.defaults?.concurrency ?? 4,
              }),
          );
        }),
    });
    await scheduler.start();
  };
  let server: RunningServer | undefined;
  let becameLeader: () => void = () => {};
  const leaderPromise = new Promise<void>((resolve) => {
    becameLeader = resolve;
  });
  const pollMs = options.pollMs;
  const onLeader = async (): Promise<void> => {
    if (server)
      await writeOperatorFile(home, {
        url: server.url,
        pid: process.pid,
        repo: mirror.url,
        branch: options.branch,
        startedAt: new Date().toISOString(),
      });
    becameLeader();
    // Drift and waiting promotions are looked at every poll interval (every 30 s without polling).
    const refreshEvery = pollMs > 0 ? pollMs : 30_000;
    const tick = (): void => {
      const t = term();
      if (t === undefined) return;
      void reconciler
        .refresh(t)
        .catch((e: unknown) => logger.warn({ err: e }, 'refresh failed'))
        .finally(() => later(refreshEvery, tick));
    };
    // A first pass at once: drift, waiting promotions and the scheduler need no new commit.
    later(0, tick);
  };
  operator = new Operator({
    lease,
    source,
    reconciler,
    pollIntervalMs: pollMs,
    ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
    leaseTtlMs,
    ...(options.standbyRetryMs === undefined ? {} : { standbyRetryMs: options.standbyRetryMs }),
    logger,
    telemetry,
    onStateChange: (s) => {
      options.onStateChange?.(s);
      if (s === 'leader') {
        alerting.loop.degraded('lease_lost', false, `${operator?.holderId ?? 'an operator'} leads`);
        alerting.loop.start();
        led = true;
        void onLeader();
      } else if (s === 'standby' && led) {
        // Told by the process that lost the lease, then it stops evaluating until it leads again.
        alerting.loop.degraded(
          'lease_lost',
          true,
          `${operator?.holderId ?? 'the operator'} lost its leader lease`,
        );
        void alerting.loop
          .evaluate()
          .then(() => (operator?.state === 'leader' ? undefined : alerting.loop.stop()));
      }
      // A leader that lost its lease lets the warehouse go, so the next leader can open it.
      if (s === 'standby' || s === 'stopped') {
        void stopScheduler().then(() => reconciler.releaseWarehouse());
      }
    },
  });
  const backend = new GitOpsBackend({ reconciler, sync: operator, leaderTerm: term });
  const reads = new OperatorEnvironmentReader(
    reconciler,
    () => ({ leader: term() !== undefined }),
    options.readLimits,
  );
  const app = createServerApp({
    backend,
    sync: operator,
    branch: options.branch,
    tokens: options.tokens,
    ...(options.webhookSecrets ? { webhookSecrets: options.webhookSecrets } : {}),
    reads,
    logger,
    telemetry,
    telemetryEndpoints: {
      metrics: () => (observability.metrics as NonNullable<Observability['metrics']>).exposition(),
      traces: (query) => observability.recentTraces?.list(query) ?? [],
    },
    alerting: { store: adapters.alerts },
    health: () => ({
      state: operator?.state,
      holder: operator?.holderId,
      term: operator?.grant?.term ?? null,
      watcher: operator?.watcher?.status ?? null,
    }),
  });
  try {
    server = await startHttpServer(app, { port: options.port, hostname: options.host });
  } catch (error) {
    await alerting.close(0);
    await adapters.close().catch(() => undefined);
    await observability.shutdown();
    throw error;
  }
  const running = server;
  let pgServer: RunningPgWireServer | undefined;
  if (options.pgPort !== undefined) {
    try {
      pgServer = await startPgWireServer({
        reader: reads,
        tokens: options.tokens,
        port: options.pgPort,
        host: options.host,
        ...(options.pgTls ? { tls: options.pgTls } : {}),
        ...(options.pgMaxConnections === undefined ? {} : { maxConnections: options.pgMaxConnections }),
        statementTimeoutMs: options.readLimits?.timeoutMs ?? DEFAULT_READ_LIMITS.timeoutMs,
        logger,
      });
    } catch (error) {
      await running.close().catch(() => undefined);
      await adapters.close().catch(() => undefined);
      await observability.shutdown();
      throw error;
    }
  }
  operator.start();
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await operator.stop();
    for (const t of timers) clearTimeout(t);
    await stopScheduler();
    await alerting.close();
    await running.close().catch(() => undefined);
    await pgServer?.close().catch(() => undefined);
    await reconciler.releaseWarehouse();
    await workspace.clear().catch(() => undefined);
    await removeOperatorFile(home, process.pid);
    await adapters.close();
    await observability.shutdown();
  };
  return {
    url: running.url,
    pgPort: pgServer?.port,
    home,
    operator,
    reconciler,
    backend,
    state,
    observability,
    alerting,
    leader: () => leaderPromise,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** The project's warehouse, its relative path resolved in the operator home, opened for writing now. */
async function openOperatorWarehouse(
  commit: CommitConfig,
  home: string,
  observer: StatementObserver,
): Promise<Warehouse> {
  const warehouse = await openWarehouse({ config: commit.config, root: home }, { observer });
  try {
    await warehouse.listSchemas();
  } catch (error) {
    await warehouse.close().catch(() => undefined);
    if (
      error instanceof ConflictError ||
      (error instanceof WarehouseError && /in use by another process|lock/i.test(error.message))
    ) {
      throw new ConflictError(`the warehouse is open for writing in another process: ${error.message}`, {
        cause: error,
        hint: 'only one process may write the DuckDB file: stop the other slipway command (or operator) first',
      });
    }
    throw error;
  }
  return warehouse;
}

function defaultDataDir(home: string, repo: string): string {
  const own = path.join(home, 'data');
  if (existsSync(own)) return own;
  const local = path.resolve(repo, 'data');
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) && existsSync(local) ? local : own;
}

async function writeOperatorFile(home: string, file: OperatorFile): Promise<void> {
  await writeFile(path.join(home, OPERATOR_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

async function removeOperatorFile(home: string, pid: number): Promise<void> {
  const file = await readOperatorFile(home);
  if (file?.pid === pid) await rm(path.join(home, OPERATOR_FILE), { force: true });
}

export async function readOperatorFile(home: string): Promise<OperatorFile | undefined> {
  try {
    return JSON.parse(await readFile(path.join(home, OPERATOR_FILE), 'utf8')) as OperatorFile;
  } catch {
    return undefined;
  }
}
