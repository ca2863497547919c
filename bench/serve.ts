/**
 * bench/serve: query serving of a running operator (in-process runtime over a real git repository,
 * SQLite state, the DuckDB warehouse it releases on), measured side by side in one run:
 *
 * - small point queries and one aggregate over a 1 M-row model, through the PostgreSQL protocol
 *   (the `pg` driver) and HTTP (`POST /api/v1/query`), against the same query run in-process on
 *   the operator's own warehouse through the same sandbox (`warehouse.reads`): p50 and ratios;
 * - point-query p50/p99 over the PostgreSQL protocol while a release runs, against idle;
 * - the process's RSS with 50 PostgreSQL connections open, against none.
 *
 *   npx tsx bench/serve.ts            # 200 point queries per path, 10 aggregates
 *   npx tsx bench/serve.ts 500 20
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sendGitHubPush } from '../src/cli/demo/push-webhook.js';
import { startOperatorRuntime } from '../src/cli/operator-runtime.js';
import { ApiTokens } from '../src/server/api-tokens.js';
import { createLogger } from '../src/telemetry/logger.js';

const POINTS = Number(process.argv[2] ?? 200) || 200;
const AGGREGATES = Number(process.argv[3] ?? 10) || 10;
const token = randomBytes(24).toString('hex');
const secret = randomBytes(24).toString('hex');

const CONFIG = `name: serve-bench
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb }
state: { type: sqlite, path: .slipway/state.db }
environments:
  staging: { strategy: blue-green, sync: auto }
  prod: { strategy: blue-green, promote_from: staging, sync: auto }
`;

function models(version: number): Record<string, string> {
  return {
    'models/events.sql': `/* @slipway\nkind: table\n*/\nselect range as id, range % 1000 as customer_id, (range % 97) * ${version} as amount from range(1000000)\n`,
    'models/customer_totals.sql': `/* @slipway\nkind: table\n*/\nselect customer_id, sum(amount) as total, count(*) as n from events group by customer_id\n`,
  };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    },
  }).trim();
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function timings(count: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await run(i);
    out.push(performance.now() - started);
  }
  return out;
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

const work = await mkdtemp(path.join(tmpdir(), 'slipway-bench-serve-'));
const repo = path.join(work, 'repo');
const home = path.join(work, 'home');
try {
  await writeFiles(repo, { 'slipway.yaml': CONFIG, ...models(1) });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'v1');
  const runtime = await startOperatorRuntime({
    repo,
    branch: 'main',
    home,
    port: 0,
    host: '127.0.0.1',
    pollMs: 0,
    settleMs: 50,
    tokens: ApiTokens.fromList([{ name: 'bench', role: 'deployer', token }]),
    webhookSecrets: { github: secret },
    logger: createLogger({ level: 'silent' }),
    pgPort: 0,
    state: undefined,
  });
  await runtime.leader();
  const prodOn = async (sha: string): Promise<void> => {
    while (
      (await runtime.state.getPointer('prod'))?.releaseId === undefined ||
      (await runtime.backend.getEnvironment('prod')).live?.commit.sha !== sha
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await prodOn(git(repo, 'rev-parse', 'HEAD'));

  const client = new pg.Client({
    host: '127.0.0.1',
    port: runtime.pgPort,
    user: 'bench',
    password: token,
    database: 'prod',
  });
  await client.connect();
  const http = async (sql: string, params: unknown[] = []): Promise<unknown> => {
    const response = await fetch(`${runtime.url}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ env: 'prod', sql, params }),
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    return response.json();
  };
  const inProcess = (sql: string, params: unknown[] = []): Promise<unknown> =>
    runtime.reconciler.withReadWarehouse(async (warehouse) => {
      const reads = warehouse.reads;
      if (!reads) throw new Error('no reads role');
      return reads.query({
        sql,
        params: params as never,
        schema: 'prod',
        maxRows: 10_000,
        timeoutMs: 30_000,
      });
    });

  const POINT = 'select total, n from customer_totals where customer_id = $1';
  const AGGREGATE =
    'select customer_id % 10 as bucket, count(*) as n, sum(amount) as total from events group by 1 order by 1';
  // Warm every path once.
  await inProcess(POINT, [1]);
  await client.query(POINT, [1]);
  await http(POINT, [1]);

  console.log(
    `point query (${POINTS} each), aggregate over 1 M rows (${AGGREGATES} each); p50, ratio to in-process`,
  );
  // Round-robin: each iteration runs every path once, so warm-up and load fall on all alike.
  const paths = [
    ['in-process', (sql: string, params: unknown[]) => inProcess(sql, params)],
    ['pg-wire', (sql: string, params: unknown[]) => client.query(sql, params)],
    ['http', (sql: string, params: unknown[]) => http(sql, params)],
  ] as const;
  for (const [, run] of paths) await run(AGGREGATE, []);
  const samples = new Map(
    paths.map(([name]) => [name, { point: [] as number[], aggregate: [] as number[] }]),
  );
  for (let i = 0; i < POINTS; i += 1) {
    for (const [name, run] of paths) {
      const started = performance.now();
      await run(POINT, [i % 1000]);
      samples.get(name)?.point.push(performance.now() - started);
    }
  }
  for (let i = 0; i < AGGREGATES; i += 1) {
    for (const [name, run] of paths) {
      const started = performance.now();
      await run(AGGREGATE, []);
      samples.get(name)?.aggregate.push(performance.now() - started);
    }
  }
  const results: Record<string, { point: number; aggregate: number }> = {};
  for (const [name, sample] of samples) {
    results[name] = { point: percentile(sample.point, 50), aggregate: percentile(sample.aggregate, 50) };
  }
  const base = results['in-process'] as { point: number; aggregate: number };
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(10)} point ${fmt(r.point)} (${(r.point / base.point).toFixed(2)}×)   aggregate ${fmt(r.aggregate)} (${(r.aggregate / base.aggregate).toFixed(2)}×)`,
    );
  }

  const idle = await timings(POINTS, (i) => client.query(POINT, [i % 1000]));
  await writeFiles(repo, models(2));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'v2');
  const sha = git(repo, 'rev-parse', 'HEAD');
  await sendGitHubPush(runtime.url, { secret, after: sha, branch: 'main' });
  const released = prodOn(sha).then(() => true);
  let done = false;
  void released.then(() => {
    done = true;
  });
  const during: number[] = [];
  while (!done) during.push(...(await timings(1, (i) => client.query(POINT, [i % 1000]))));
  console.log(
    `pg-wire point query idle p50 ${fmt(percentile(idle, 50))} p99 ${fmt(percentile(idle, 99))}; during a release (${during.length} reads) p50 ${fmt(percentile(during, 50))} p99 ${fmt(percentile(during, 99))} (p99 ratio ${(percentile(during, 99) / percentile(idle, 99)).toFixed(2)}×)`,
  );

  const rssBefore = process.memoryUsage().rss;
  const clients = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const c = new pg.Client({
        host: '127.0.0.1',
        port: runtime.pgPort,
        user: 'bench',
        password: token,
        database: 'prod',
      });
      await c.connect();
      await c.query(POINT, [7]);
      return c;
    }),
  );
  const rssWith = process.memoryUsage().rss;
  console.log(
    `RSS (operator and bench clients in one process): ${(rssBefore / 2 ** 20).toFixed(0)} MB → ${(rssWith / 2 ** 20).toFixed(0)} MB with 50 PostgreSQL connections (+${((rssWith - rssBefore) / 2 ** 20).toFixed(1)} MB)`,
  );
  await Promise.all(clients.map((c) => c.end()));
  await client.end();
  await runtime.stop();
} finally {
  await rm(work, { recursive: true, force: true });
}
