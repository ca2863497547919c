/**
 * A small Git-Ops project in a real git repository (a CSV source, three models, a check that a
 * negative version breaks), and an operator runtime on it (in-process, loopback HTTP, real
 * SQLite state and DuckDB warehouse) with tokens for every role and a webhook secret.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sendGitHubPush } from '../../src/cli/demo/push-webhook.js';
import {
  type OperatorRuntime,
  type OperatorRuntimeOptions,
  startOperatorRuntime,
} from '../../src/cli/operator-runtime.js';
import type { EnvironmentStatus, OperatorEvent, Release } from '../../src/operator/operator-backend.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { ApiTokens } from '../../src/server/api-tokens.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { commitAll, git } from '../helpers/release-project.js';
import { type TempProject, tempProject } from '../helpers/temp-project.js';

export const SECRET = 'test-webhook-secret-0123456789';
export const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  deployer: 'deployer-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef0',
} as const;

export const GITOPS_CONFIG = `name: gitops-test
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }
state: { type: sqlite, path: .slipway/state.db }
environments:
  dev: { strategy: direct }
  staging: { strategy: blue-green, sync: auto }
  prod: { strategy: blue-green, promote_from: staging, sync: auto, self_heal: true }
  audit: { strategy: direct, promote_from: prod, sync: auto, approval: true }
defaults: { concurrency: 1 }
`;

const ORDERS = `order_id,customer_id,amount
1,10,5.00
2,10,7.50
3,20,3.25
`;

/** Model files of version `v`; a negative `v` fails customer_totals' range check. */
export function models(v: number): Record<string, string> {
  return {
    'models/stg_orders.sql': `select order_id, customer_id, amount * ${v} as amount, ${v} as version from orders\n`,
    'models/customer_totals.sql': `/* @slipway\nkind: table\ncolumns:\n  total: { checks: [{ range: { min: 0 } }] }\n*/\nselect customer_id, sum(amount) as total, max(version) as version from stg_orders group by customer_id\n`,
    'models/grand_total.sql': `/* @slipway\nkind: table\n*/\nselect sum(total) as total, max(version) as version from customer_totals\n`,
  };
}

export interface GitOpsFixture {
  readonly project: TempProject;
  readonly home: string;
  /** Commits models of version `v` on a branch and merges it as pull request `pr`. */
  mergeVersion(v: number, pr: number): Promise<string>;
  /** Commits `files` on a branch and merges it into main as pull request `pr`; the merge's sha. */
  mergeFiles(files: Record<string, string>, pr: number, message?: string, branch?: string): Promise<string>;
  /** Commits `files` straight on main; the commit's sha. */
  commitFiles(files: Record<string, string>, message: string): Promise<string>;
  start(options?: {
    pollMs?: number;
    onTimeline?: (e: TimelineEntry) => void;
    telemetryEnv?: Record<string, string>;
    /** Serve the PostgreSQL protocol too (0: a free port). */
    pgPort?: number;
    pgMaxConnections?: number;
    readLimits?: { maxRows?: number; timeoutMs?: number };
    pgTls?: { certFile: string; keyFile: string };
    alerting?: Pick<OperatorRuntimeOptions, 'alertEnv' | 'alertIntervalMs' | 'alertDelivery'>;
    retryBaseMs?: number;
    dataDir?: string;
  }): Promise<OperatorRuntime>;
  remove(): Promise<void>;
}

export async function gitopsFixture(config = GITOPS_CONFIG): Promise<GitOpsFixture> {
  const project = await tempProject({
    'slipway.yaml': config,
    'sources/orders.yml': 'sources:\n  - name: orders\n    files: data/orders.csv\n',
    'data/orders.csv': ORDERS,
    '.gitignore': '.slipway/\ndata/\n',
    ...models(1),
  });
  await git(project.root, 'init', '-q', '-b', 'main');
  await commitAll(project.root, 'Initial project');
  const home = await mkdtemp(path.join(tmpdir(), 'slipway-operator-'));
  const runtimes: OperatorRuntime[] = [];
  const fixture: GitOpsFixture = {
    project,
    home,
    mergeVersion(v, pr) {
      return fixture.mergeFiles(models(v), pr, `Models version ${v}`, `feature/v${v}-${pr}`);
    },
    async mergeFiles(files, pr, message = `Change ${pr}`, branch = `feature/${pr}`) {
      await git(project.root, 'checkout', '-q', '-b', branch, 'main');
      for (const [file, text] of Object.entries(files)) await project.write(file, text);
      await commitAll(project.root, message);
      await git(project.root, 'checkout', '-q', 'main');
      await git(
        project.root,
        'merge',
        '-q',
        '--no-ff',
        '-m',
        `Merge pull request #${pr} from tess/${branch}`,
        branch,
      );
      return git(project.root, 'rev-parse', 'HEAD');
    },
    async commitFiles(files, message) {
      for (const [file, text] of Object.entries(files)) await project.write(file, text);
      return commitAll(project.root, message);
    },
    async start({
      pollMs = 0,
      onTimeline,
      telemetryEnv = {},
      pgPort,
      pgMaxConnections,
      readLimits,
      pgTls,
      alerting = {},
      retryBaseMs,
      dataDir,
    } = {}) {
      const runtime = await startOperatorRuntime({
        repo: project.root,
        branch: 'main',
        home,
        port: 0,
        host: '127.0.0.1',
        pollMs,
        settleMs: 50,
        leaseTtlMs: 3000,
        tokens: ApiTokens.fromList([
          { name: 'vera', role: 'viewer', token: TOKENS.viewer },
          { name: 'dan', role: 'deployer', token: TOKENS.deployer },
          { name: 'ada', role: 'admin', token: TOKENS.admin },
        ]),
        webhookSecrets: { github: SECRET },
        logger: createLogger({ level: process.env['SLIPWAY_TEST_LOG_LEVEL'] ?? 'silent' }),
        ...(onTimeline ? { onTimeline } : {}),
        ...(retryBaseMs === undefined ? {} : { retryBaseMs }),
        ...(dataDir === undefined ? {} : { dataDir }),
        // The tests' telemetry is what each test names, never the variables of the shell running them.
        telemetryEnv,
        ...(pgPort === undefined ? {} : { pgPort }),
        ...(pgMaxConnections === undefined ? {} : { pgMaxConnections }),
        ...(readLimits === undefined ? {} : { readLimits }),
        ...(pgTls === undefined ? {} : { pgTls }),
        alertEnv: {},
        ...alerting,
      });
      runtimes.push(runtime);
      return runtime;
    },
    async remove() {
      for (const r of runtimes) await r.stop();
      await project.remove();
      await rm(home, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** A JSON API call with a role's token (or none). */
export async function api(
  url: string,
  method: 'GET' | 'POST',
  route: string,
  { role, body }: { role?: keyof typeof TOKENS; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: {
      ...(role ? { authorization: `Bearer ${TOKENS[role]}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Polls `predicate` (sync or async) until true, or fails after `timeoutMs`. */
export async function eventually(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Reads an operator under test through its API (as a viewer) and waits on its timeline. `url` is
 * a function because the runtime starts in `beforeAll`, after the probe is made.
 */
export function operatorProbe(url: () => string, timeline: readonly TimelineEntry[]) {
  const list = async <T>(route: string, key: string): Promise<T[]> =>
    (await api(url(), 'GET', route, { role: 'viewer' })).json[key] as T[];
  return {
    /** Waits until the timeline shows `sha` reaching `environment` with one of `outcomes`. */
    reached: (sha: string, environment: string, outcomes: TimelineEntry['outcome'][]) =>
      eventually(`${environment} ${outcomes.join('/')} ${sha.slice(0, 8)}`, () =>
        timeline.some(
          (e) => e.commit === sha && e.environment === environment && outcomes.includes(e.outcome),
        ),
      ),
    environment: async (name: string): Promise<EnvironmentStatus> =>
      (await api(url(), 'GET', `/api/v1/environments/${name}`, { role: 'viewer' }))
        .json as unknown as EnvironmentStatus,
    releases: (environment: string) =>
      list<Release>(`/api/v1/releases?environment=${environment}&limit=100`, 'releases'),
    events: (environment: string) =>
      list<OperatorEvent>(`/api/v1/events?environment=${environment}&limit=500`, 'events'),
  };
}

/** Version `v` of the models with two of the three orders filtered out of stg_orders. */
export function shrunk(v: number): Record<string, string> {
  const files = models(v);
  files['models/stg_orders.sql'] = (files['models/stg_orders.sql'] as string).replace(
    'from orders',
    'from orders where order_id = 1',
  );
  return files;
}

/** Announces `sha` on main to the operator at `url` by a signed GitHub push; the HTTP status. */
export function announce(url: string, sha: string): Promise<number> {
  return sendGitHubPush(url, { secret: SECRET, branch: 'main', after: sha });
}
