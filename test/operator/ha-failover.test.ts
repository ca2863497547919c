/**
 * A highly available operator: two real `slipway operator` processes (the built CLI), each with
 * its own home as on two hosts (each in its own UTS namespace with its own host name, where the
 * machine allows it), sharing one PostgreSQL database as state store, operator store, leader lease
 * and warehouse, watching a repository served by `git daemon` on loopback. One leads, the other
 * stands by; the leader is paused just before the switch of a pushed commit's release and
 * SIGKILLed there; the standby takes over (the time is printed with the documented bound, not
 * asserted: the machine is shared), settles the interrupted release, brings staging and prod to
 * the branch head with whole releases, releases the next commit, and stops cleanly on SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EnvironmentStatus } from '../../src/operator/operator-backend.js';
import { openPostgresLeaderLease } from '../../src/state/postgres/postgres-leader-lease.js';
import { openPostgresStateStore } from '../../src/state/postgres/postgres-state-store.js';
import type { LockLease } from '../../src/state/state-store.js';
import { type GitDaemon, startGitDaemon } from '../helpers/git-fixtures.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { commitAll, git } from '../helpers/release-project.js';
import { BIN } from '../helpers/run-cli.js';
import { type TempProject, tempProject } from '../helpers/temp-project.js';
import { api, eventually, TOKENS } from './gitops-fixture.js';

const VARIABLE = 'SLIPWAY_HA_TEST_PG_URL';
const LEASE_TTL_MS = 2000;
/** The operator's default standby retry: a fifth of the lease time. */
const STANDBY_RETRY_MS = LEASE_TTL_MS / 5;

const CONFIG = `name: ha-test
warehouse:
  default: pg
  connections:
    pg: { type: postgres, url_env: ${VARIABLE} }
state: { type: postgres, url_env: ${VARIABLE} }
environments:
  staging: { strategy: blue-green, sync: auto }
  prod: { strategy: blue-green, promote_from: staging, sync: auto }
defaults: { concurrency: 1 }
`;

/** Version `v` of the three models: every row carries `v`, so a table says which commit built it. */
function models(v: number): Record<string, string> {
  return {
    'models/stg_orders.sql': `select order_id, customer_id, amount * ${v} as amount, ${v} as version from orders\n`,
    'models/customer_totals.sql': `/* @slipway\nkind: table\n*/\nselect customer_id, sum(amount) as total, max(version) as version from stg_orders group by customer_id\n`,
    'models/grand_total.sql': `/* @slipway\nkind: table\n*/\nselect sum(total) as total, max(version) as version from customer_totals\n`,
  };
}

let db: TestDatabase;
let project: TempProject;
let daemon: GitDaemon;
let homes: string;
let twoHosts = false;
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await freshDatabase('slipway_ha');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`create schema raw;
      create table raw.orders (order_id integer, customer_id integer, amount numeric(10, 2));
      insert into raw.orders values (1, 10, 5.00), (2, 10, 7.50), (3, 20, 3.25)`);
  } finally {
    await client.end();
  }
  project = await tempProject({
    'slipway.yaml': CONFIG,
    'sources/orders.yml': 'sources:\n  - name: orders\n    table: raw.orders\n',
    '.gitignore': '.slipway/\n',
    ...models(1),
  });
  await git(project.root, 'init', '-q', '-b', 'main');
  await commitAll(project.root, 'Initial project');
  daemon = await startGitDaemon(path.dirname(project.root));
  homes = await mkdtemp(path.join(tmpdir(), 'slipway-ha-'));
  twoHosts = await canNameHosts();
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await daemon?.stop();
  await project?.remove();
  if (homes) await rm(homes, { recursive: true, force: true });
  await db?.drop();
});

/** Whether this machine lets a process have its own host name (`unshare --uts`, as root). */
function canNameHosts(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('unshare', ['--uts', 'sh', '-c', 'hostname slipway-probe'], (error) => resolve(!error));
  });
}

interface OperatorProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly home: string;
  stdout(): string;
  stderr(): string;
}

/** `slipway operator` with its own home (and, where possible, its own host name `host`). */
async function startOperator(
  host: string,
  env: NodeJS.ProcessEnv = {},
  databaseUrl = db.url,
): Promise<OperatorProcess> {
  const home = path.join(homes, host);
  const args = [
    BIN,
    'operator',
    '--repo',
    daemon.url(path.basename(project.root)),
    '--home',
    home,
    '--port',
    '0',
    '--poll',
    '500ms',
    '--lease-ttl',
    `${LEASE_TTL_MS}ms`,
  ];
  // `exec` keeps one pid from unshare to node, so the signals below reach the operator itself.
  const [command, argv] = twoHosts
    ? ['unshare', ['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', host, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, argv as string[], {
    env: {
      ...process.env,
      NO_COLOR: '1',
      SLIPWAY_LOG_LEVEL: 'warn',
      SLIPWAY_API_TOKENS: `ada:admin:${TOKENS.admin}`,
      [VARIABLE]: databaseUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await eventually(
    `the operator on ${host} to listen`,
    () => /listening on (http:\/\/\S+)/.test(stdout) || child.exitCode !== null,
    60_000,
  );
  const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
  if (!url) throw new Error(`operator did not start:\n${stdout}\n${stderr}`);
  return { child, url, home, stdout: () => stdout, stderr: () => stderr };
}

interface Health {
  readonly state: string | undefined;
  readonly term: number | null;
}

async function health(url: string): Promise<Health> {
  try {
    const { json } = await api(url, 'GET', '/healthz');
    return { state: json['state'] as string, term: (json['term'] as number | null) ?? null };
  } catch {
    return { state: undefined, term: null };
  }
}

async function environment(url: string, name: string): Promise<EnvironmentStatus> {
  return (await api(url, 'GET', `/api/v1/environments/${name}`, { role: 'admin' }))
    .json as unknown as EnvironmentStatus;
}

const pauses = (p: OperatorProcess): number => p.stderr().split('slipway-paused before-switch').length - 1;

async function mergeVersion(v: number, pr: number): Promise<string> {
  const branch = `feature/v${v}`;
  await git(project.root, 'checkout', '-q', '-b', branch, 'main');
  for (const [file, text] of Object.entries(models(v))) await project.write(file, text);
  await commitAll(project.root, `Models version ${v}`);
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
  return (await git(project.root, 'rev-parse', 'HEAD')).trim();
}

/**
 * What an environment shows in the warehouse: each view's physical table, the marker's release,
 * and the version its rows carry.
 */
async function shown(schema: string): Promise<{
  readonly tables: Record<string, string>;
  readonly markerRelease: string | undefined;
  readonly version: number | undefined;
}> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const views = await client.query<{ view_name: string; table_name: string }>(
      `select view_name, table_name from information_schema.view_table_usage
       where view_schema = $1 and table_schema = 'slipway_physical'`,
      [schema],
    );
    const marker = await client.query<{ release_id: string }>(
      'select release_id from slipway_meta.environment_releases where environment = $1',
      [schema],
    );
    const version = await client.query<{ version: number }>(
      `select version from ${client.escapeIdentifier(schema)}.grand_total`,
    );
    return {
      tables: Object.fromEntries(views.rows.map((r) => [r.view_name, r.table_name])),
      markerRelease: marker.rows[0]?.release_id,
      version: version.rows[0]?.version,
    };
  } finally {
    await client.end();
  }
}

/** A lock as the state store has it, and the database's clock (the one leases are judged by). */
async function lockAndDatabaseNow(name: string): Promise<{ lock: LockLease | undefined; now: number }> {
  const state = await openPostgresStateStore({ url: db.url });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const lock = await state.getLock(name);
    const { rows } = await client.query<{ now: Date }>('select now() as now');
    return { lock, now: (rows[0]?.now ?? new Date(0)).getTime() };
  } finally {
    await client.end();
    await state.close();
  }
}

/** Asserts that `schema`'s views read exactly the tables of the release its pointer names. */
async function expectWholeRelease(schema: string, version: number): Promise<string> {
  const state = await openPostgresStateStore({ url: db.url });
  try {
    const pointer = await state.getPointer(schema);
    expect(pointer).toBeDefined();
    const release = await state.getRelease(pointer?.releaseId ?? '');
    const expected = Object.fromEntries(Object.entries(release?.models ?? {}).map(([m, p]) => [m, p.table]));
    const actual = await shown(schema);
    expect(Object.keys(expected).sort()).toEqual(['customer_totals', 'grand_total', 'stg_orders']);
    expect(actual.tables).toEqual(expected);
    expect(actual.markerRelease).toBe(pointer?.releaseId);
    expect(actual.version).toBe(version);
    return release?.commit?.sha ?? '';
  } finally {
    await state.close();
  }
}

it('a leader SIGKILLed mid-release on one host is replaced by the standby on another, which settles the release and converges', async () => {
  const a = await startOperator('host-a', { SLIPWAY_TEST_PAUSE_AT: 'before-switch' });
  await eventually('host-a to lead', async () => (await health(a.url)).state === 'leader', 60_000);
  const b = await startOperator('host-b');
  await eventually('host-b to stand by', async () => (await health(b.url)).state === 'standby', 30_000);
  expect((await health(a.url)).state).toBe('leader');
  // Each states the bound it keeps: the lease time plus the standby's retry (a fifth of it).
  for (const p of [a, b])
    expect(p.stdout()).toContain(
      `lease 2.00s, standby retry 400ms: if the leader dies, a standby leads within 2.40s`,
    );
  const firstTerm = (await health(a.url)).term ?? 0;
  expect(firstTerm).toBeGreaterThan(0);
  expect((await health(b.url)).term).toBeNull();

  // The first commit goes through staging and prod on host-a (let past each switch it pauses at).
  const first = (await git(project.root, 'rev-parse', 'HEAD')).trim();
  for (let released = 0; released < 2; released++) {
    await eventually('host-a to pause before a switch', () => pauses(a) > released, 60_000);
    a.child.kill('SIGUSR2'); // the step hook waits for it, once per pause
  }
  await eventually(
    'prod on the first commit',
    async () => (await environment(a.url, 'prod')).live?.commit.sha === first,
    60_000,
  );
  expect(await expectWholeRelease('prod', 1)).toBe(first);

  // A pushed commit: host-a builds it for staging and stops just before the switch.
  const second = await mergeVersion(2, 21);
  await eventually('host-a to pause before the second commit’s switch', () => pauses(a) > 2, 60_000);
  expect((await health(b.url)).state).toBe('standby');
  // host-a holds staging's lock, and that lock lives no longer than its leadership: once the
  // lease is gone the lock is too, so the next leader (on another host: no pid to check) gets it.
  const held = await lockAndDatabaseNow('env:staging');
  expect(held.lock?.holder.host).toBe(twoHosts ? 'host-a' : hostname());
  expect(Date.parse(held.lock?.expiresAt ?? '') - held.now).toBeLessThanOrEqual(LEASE_TTL_MS);

  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  let takeover: Health = { state: undefined, term: null };
  await eventually(
    'host-b to lead',
    async () => {
      takeover = await health(b.url);
      return takeover.state === 'leader';
    },
    60_000,
  );
  const takeoverMs = Date.now() - killedAt;
  await eventually(
    'staging and prod on the second commit',
    async () =>
      (await environment(b.url, 'staging')).live?.commit.sha === second &&
      (await environment(b.url, 'prod')).live?.commit.sha === second,
    120_000,
  );
  const convergedMs = Date.now() - killedAt;
  console.log(
    `HA failover (${twoHosts ? 'two host names' : 'one host name: unshare unavailable'}): ` +
      `SIGKILL → standby leads in ${takeoverMs} ms (documented bound: lease ${LEASE_TTL_MS} ms + standby retry ${STANDBY_RETRY_MS} ms = ${LEASE_TTL_MS + STANDBY_RETRY_MS} ms); ` +
      `→ staging and prod on the head in ${convergedMs} ms`,
  );
  expect(takeover.term).toBeGreaterThan(firstTerm);

  // The interrupted release never switched: the new leader settled it as abandoned.
  const state = await openPostgresStateStore({ url: db.url });
  try {
    const staging = await state.listReleases({ environment: 'staging' });
    const ofSecond = staging.filter((r) => r.commit?.sha === second).map((r) => r.status);
    expect(ofSecond.sort()).toEqual(['abandoned', 'succeeded']);
    expect(staging.filter((r) => r.status === 'building' || r.status === 'switching')).toEqual([]);
    expect(await state.getLock('env:staging')).toBeUndefined();
    const takenOver = (await state.listEvents())
      .filter((e) => e.type === 'lock.taken_over')
      .map((e) => e.data as { lock: string; reason: string; from: { host: string } });
    expect(takenOver).toContainEqual(
      expect.objectContaining({
        lock: 'env:staging',
        reason: twoHosts ? 'expired' : 'holder is gone',
        from: expect.objectContaining({ host: twoHosts ? 'host-a' : hostname() }),
      }),
    );
  } finally {
    await state.close();
  }
  expect(await expectWholeRelease('staging', 2)).toBe(second);
  expect(await expectWholeRelease('prod', 2)).toBe(second);
  expect((await environment(b.url, 'staging')).sync).toBe('Synced');

  // The new leader keeps going: the next commit, found by polling git://, reaches prod.
  const third = await mergeVersion(3, 22);
  await eventually(
    'prod on the third commit',
    async () => (await environment(b.url, 'prod')).live?.commit.sha === third,
    120_000,
  );
  expect(await expectWholeRelease('staging', 3)).toBe(third);
  expect(await expectWholeRelease('prod', 3)).toBe(third);

  // Each home holds only its own files: no state, lease or warehouse file in either.
  for (const home of [a.home, b.home]) {
    expect(existsSync(path.join(home, '.slipway', 'state.db'))).toBe(false);
    expect(existsSync(path.join(home, '.slipway', 'operator.db'))).toBe(false);
    expect(existsSync(path.join(home, '.slipway', 'warehouse.duckdb'))).toBe(false);
  }
  expect(existsSync(path.join(b.home, 'operator.json'))).toBe(true);

  // SIGTERM: a clean stop that gives the lease up (no holder left) and removes operator.json.
  const exited = new Promise<number | null>((resolve) => b.child.once('exit', (code) => resolve(code)));
  b.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(existsSync(path.join(b.home, 'operator.json'))).toBe(false);
  const lease = await openPostgresLeaderLease({ url: db.url });
  try {
    expect(await lease.current()).toBeUndefined();
  } finally {
    await lease.close();
  }
}, 400_000);

/** A TCP relay to PostgreSQL that can be cut (every connection reset, new ones refused) and mended. */
interface DatabaseLink {
  readonly url: string;
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

async function databaseLink(url: string): Promise<DatabaseLink> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) return void client.resetAndDestroy();
    const upstream = connectTcp(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const relayed = new URL(url);
  relayed.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: relayed.toString(),
    cut() {
      cut = true;
      for (const s of sockets) s.resetAndDestroy();
    },
    mend() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** When the first JSON log line with message `msg` was written (epoch ms; both processes share this host's clock). */
function loggedAt(p: OperatorProcess, msg: string): number | undefined {
  for (const line of p.stderr().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: number | string };
    if (entry.msg === msg) return typeof entry.time === 'string' ? Date.parse(entry.time) : entry.time;
  }
  return undefined;
}

it('a leader cut off from PostgreSQL stops leading before the standby leads, and never switches what it was doing', async () => {
  const link = await databaseLink(db.url);
  try {
    const info = { SLIPWAY_LOG_LEVEL: 'info' };
    const c = await startOperator('host-c', { ...info, SLIPWAY_TEST_PAUSE_AT: 'before-switch' }, link.url);
    await eventually('host-c to lead', async () => (await health(c.url)).state === 'leader', 60_000);
    const d = await startOperator('host-d', info);
    await eventually('host-d to stand by', async () => (await health(d.url)).state === 'standby', 30_000);
    const cTerm = (await health(c.url)).term ?? 0;

    const fourth = await mergeVersion(4, 23);
    await eventually('host-c to pause before the fourth commit’s switch', () => pauses(c) > 0, 60_000);
    const cutAt = Date.now();
    link.cut();
    await eventually('host-d to lead', async () => (await health(d.url)).state === 'leader', 60_000);
    const takeoverMs = Date.now() - cutAt;
    // Still running, but no longer leading: it fenced itself.
    expect(c.child.exitCode).toBeNull();
    expect((await health(c.url)).state).toBe('standby');
    const steppedDown = loggedAt(c, 'stepping down as leader');
    const led = loggedAt(d, 'leading');
    expect(steppedDown).toBeDefined();
    expect(led).toBeDefined();
    console.log(
      `HA fencing: host-c cut off from PostgreSQL; it stepped down ${(led ?? 0) - (steppedDown ?? 0)} ms before host-d led; host-d led ${takeoverMs} ms after the cut`,
    );
    expect(steppedDown ?? Number.POSITIVE_INFINITY).toBeLessThan(led ?? 0);
    expect((await health(d.url)).term).toBeGreaterThan(cTerm);

    // Let host-c go on past its pause: it lost its lease, so it must not switch staging.
    c.child.kill('SIGUSR2');
    await eventually(
      'staging and prod on the fourth commit',
      async () =>
        (await environment(d.url, 'staging')).live?.commit.sha === fourth &&
        (await environment(d.url, 'prod')).live?.commit.sha === fourth,
      120_000,
    );
    link.mend();
    const state = await openPostgresStateStore({ url: db.url });
    try {
      const ofFourth = (await state.listReleases({ environment: 'staging' }))
        .filter((r) => r.commit?.sha === fourth)
        .map((r) => r.status);
      expect(ofFourth.sort()).toEqual(['abandoned', 'succeeded']);
    } finally {
      await state.close();
    }
    expect(await expectWholeRelease('staging', 4)).toBe(fourth);
    expect(await expectWholeRelease('prod', 4)).toBe(fourth);
    // Reconnected, host-c stands by behind the new leader.
    await eventually(
      'host-c back as a standby',
      async () => (await health(c.url)).state === 'standby',
      10_000,
    );
    expect((await health(d.url)).state).toBe('leader');

    for (const p of [d, c]) {
      const exited = new Promise<number | null>((resolve) => p.child.once('exit', (code) => resolve(code)));
      p.child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  } finally {
    await link.close();
  }
}, 400_000);
