/**
 * The operator end to end on a real git repository, in-process: commits reach staging and prod
 * (with commit, author, pull request and trigger recorded), a forged webhook changes nothing, the
 * check gate stops a bad commit, the approval gate waits for `approve`, a rollback is not undone
 * by the next sync and the next commit resumes it, drift is reported and healed, a burst of 200
 * pushes coalesces, and the HTTP API works against the real backend for every role.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { EnvironmentStatus } from '../../src/operator/operator-backend.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { gitWithInput } from '../helpers/git-fixtures.js';
import { git } from '../helpers/release-project.js';
import {
  announce,
  api,
  eventually,
  type GitOpsFixture,
  gitopsFixture,
  operatorProbe,
} from './gitops-fixture.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached, environment, releases } = operatorProbe(() => runtime.url, timeline);

async function head(): Promise<string> {
  return git(fixture.project.root, 'rev-parse', 'HEAD');
}

beforeAll(async () => {
  fixture = await gitopsFixture();
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
});

afterAll(async () => {
  await fixture?.remove();
});

describe('the operator on a real repository', () => {
  it('releases the first commit to staging, promotes it to prod, and waits at the approval gate of audit', async () => {
    const sha = await head();
    await reached(sha, 'staging', ['released']);
    await reached(sha, 'prod', ['promoted']);
    await eventually(
      'audit waiting for approval',
      async () => (await environment('audit')).pendingApproval !== null,
    );
    const audit = await environment('audit');
    expect(audit.live).toBeNull();
    expect(audit.pendingApproval?.commit).toBe(sha);
    expect((await environment('staging')).sync).toBe('Synced');
  });

  it('a merged pull request reaches staging and prod with its commit, author, PR number and trigger', async () => {
    const sha = await fixture.mergeVersion(2, 7);
    expect(await announce(runtime.url, sha)).toBe(202);
    await reached(sha, 'prod', ['promoted']);
    for (const env of ['staging', 'prod']) {
      const [latest] = await releases(env);
      expect(latest).toMatchObject({
        environment: env,
        status: 'succeeded',
        trigger: 'webhook',
        commit: { sha, author: 'Tess Ter <tess@example.com>', pullRequest: 7 },
      });
      expect(latest?.commit.message).toBe('Merge pull request #7 from tess/feature/v2-7');
      const status = await environment(env);
      expect(status.live?.commit.sha).toBe(sha);
      expect(status.sync).toBe('Synced');
    }
  });

  it('a webhook with a wrong signature is refused and changes nothing', async () => {
    const before = await releases('staging');
    const sha = await fixture.mergeVersion(3, 8);
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
    const response = await fetch(`${runtime.url}/hooks/github`, {
      method: 'POST',
      headers: {
        'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': 'forged-1',
        'X-Hub-Signature-256': `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`,
      },
      body,
    });
    expect(response.status).toBe(401);
    await new Promise((r) => setTimeout(r, 400));
    expect(await releases('staging')).toEqual(before);
    expect(timeline.some((e) => e.commit === sha)).toBe(false);
    // The commit is real, though: a signed push (or the next poll) releases it.
    expect(await announce(runtime.url, sha)).toBe(202);
    await reached(sha, 'prod', ['promoted']);
  });

  it('approve (API) promotes the release waiting at the approval gate', async () => {
    const prodRelease = (await environment('prod')).live?.commit.sha;
    await eventually(
      'audit waiting for the newest prod',
      async () => (await environment('audit')).pendingApproval?.commit === prodRelease,
    );
    const viewer = await api(runtime.url, 'POST', '/api/v1/environments/audit/approve', {
      role: 'viewer',
      body: {},
    });
    expect(viewer.status).toBe(403);
    const approved = await api(runtime.url, 'POST', '/api/v1/environments/audit/approve', {
      role: 'deployer',
      body: { comment: 'looks right' },
    });
    expect(approved.status).toBe(200);
    const audit = await environment('audit');
    expect(audit.live?.commit.sha).toBe(prodRelease);
    expect(audit.pendingApproval).toBeNull();
    const again = await api(runtime.url, 'POST', '/api/v1/environments/audit/approve', {
      role: 'deployer',
      body: {},
    });
    expect(again.status).toBe(409);
  });

  it("a bad commit is stopped by staging's check gate; staging and prod keep the good release", async () => {
    const good = (await environment('prod')).live?.commit.sha;
    const bad = await fixture.mergeVersion(-1, 9);
    await announce(runtime.url, bad);
    await reached(bad, 'staging', ['blocked']);
    const staging = await environment('staging');
    expect(staging.sync).toBe('Degraded');
    expect(staging.live?.commit.sha).toBe(good);
    expect((await environment('prod')).live?.commit.sha).toBe(good);
    const [failed] = await releases('staging');
    expect(failed).toMatchObject({ status: 'failed', commit: { sha: bad, pullRequest: 9 } });
    const { json } = await api(runtime.url, 'GET', `/api/v1/checks?releaseId=${failed?.id}`, {
      role: 'viewer',
    });
    expect((json['checks'] as { status: string }[]).some((c) => c.status === 'fail')).toBe(true);
  });

  it('after a rollback a sync does not re-release the rolled-back commit; the next commit resumes', async () => {
    const fixed = await fixture.mergeVersion(4, 10);
    await announce(runtime.url, fixed);
    await reached(fixed, 'prod', ['promoted']);
    const rolled = await api(runtime.url, 'POST', '/api/v1/environments/prod/rollback', {
      role: 'deployer',
      body: { reason: 'numbers look off' },
    });
    expect(rolled.status).toBe(200);
    const afterRollback = await environment('prod');
    expect(afterRollback.live?.commit.sha).not.toBe(fixed);
    expect(afterRollback.paused?.commit).toBe(fixed);
    // A manual sync (what a poll does when the head moved) runs a full pass: prod stays put.
    const passes = timeline.length;
    expect((await api(runtime.url, 'POST', '/api/v1/sync', { role: 'deployer', body: {} })).status).toBe(202);
    await eventually('the sync pass', () => timeline.slice(passes).some((e) => e.environment === 'staging'));
    await runtime.reconciler.refresh(runtime.operator.grant?.term);
    const stillBack = await environment('prod');
    expect(stillBack.live?.releaseId).toBe(afterRollback.live?.releaseId);
    expect(stillBack.sync).toBe('OutOfSync');
    expect(stillBack.paused).not.toBeNull();
    const next = await fixture.mergeVersion(5, 11);
    await announce(runtime.url, next);
    await reached(next, 'prod', ['promoted']);
    const resumed = await environment('prod');
    expect(resumed.paused).toBeNull();
    expect(resumed.live?.commit.sha).toBe(next);
    const { json } = await api(runtime.url, 'GET', '/api/v1/events?environment=prod&limit=500', {
      role: 'viewer',
    });
    const types = (json['events'] as { type: string; actor: string | null }[]).map(
      (e) => `${e.type}:${e.actor}`,
    );
    expect(types).toContain('rollback:api:dan');
    expect(types.some((t) => t.startsWith('sync.resumed'))).toBe(true);
  });

  it('drift is reported where self_heal is off and healed where it is on (views and a missing table)', async () => {
    const term = runtime.operator.grant?.term;
    const prod = await runtime.state.getPointer('prod');
    const grandTotal = prod?.models['grand_total']?.table as string;
    const other = prod?.models['stg_orders']?.table as string;
    await runtime.reconciler.withServices(async ({ warehouse }) => {
      await warehouse.execute('DROP VIEW staging.customer_totals');
      await warehouse.execute('DROP VIEW prod.customer_totals');
      await warehouse.execute(`CREATE OR REPLACE VIEW prod.stg_orders AS select 1 as x`);
      await warehouse.execute(`DROP TABLE slipway_physical."${grandTotal}"`);
    });
    await runtime.reconciler.refresh(term);
    const staging = await environment('staging');
    expect(staging.sync).toBe('Degraded');
    expect(staging.drift).toContainEqual({ relation: 'staging.customer_totals', problem: 'view missing' });
    const healed = await environment('prod');
    expect(healed.drift).toEqual([]);
    expect(healed.sync).toBe('Synced');
    const rows = await runtime.reconciler.withServices(async ({ warehouse }) =>
      warehouse.query(
        'select (select count(*) from prod.customer_totals) as c, (select count(*) from prod.grand_total) as g, (select count(*) from prod.stg_orders) as s',
      ),
    );
    const row = rows.rows[0] ?? {};
    expect([Number(row['c']), Number(row['g']), Number(row['s'])]).toEqual([2, 1, 3]);
    expect(other).toBeTruthy();
    const { json } = await api(runtime.url, 'GET', '/api/v1/events?limit=500', { role: 'viewer' });
    const types = (json['events'] as { type: string; environment: string | null }[]).map(
      (e) => `${e.type}:${e.environment}`,
    );
    expect(types).toContain('drift.detected:staging');
    expect(types).toContain('drift.detected:prod');
    expect(types).toContain('drift.healed:prod');
    expect(types).not.toContain('drift.healed:staging');
  });

  it('the API answers every route for the right roles against the real backend', async () => {
    const url = runtime.url;
    expect((await api(url, 'GET', '/healthz')).json).toMatchObject({ status: 'ok', state: 'leader' });
    expect((await api(url, 'GET', '/openapi.json')).json['openapi']).toMatch(/^3\./);
    expect((await api(url, 'GET', '/api/v1/environments')).status).toBe(401);
    expect((await api(url, 'GET', '/api/v1/whoami', { role: 'viewer' })).json).toEqual({
      name: 'vera',
      role: 'viewer',
    });
    const list = await api(url, 'GET', '/api/v1/environments', { role: 'viewer' });
    expect((list.json['environments'] as EnvironmentStatus[]).map((e) => e.name)).toEqual([
      'staging',
      'prod',
      'audit',
    ]);
    expect((await api(url, 'GET', '/api/v1/environments/nope', { role: 'viewer' })).status).toBe(404);
    const [release] = await releases('prod');
    expect((await api(url, 'GET', `/api/v1/releases/${release?.id}`, { role: 'viewer' })).json['id']).toBe(
      release?.id,
    );
    expect((await api(url, 'GET', '/api/v1/releases/r-none', { role: 'viewer' })).status).toBe(404);
    expect((await api(url, 'GET', '/api/v1/runs', { role: 'viewer' })).status).toBe(200);
    expect((await api(url, 'GET', '/api/v1/checks?environment=staging', { role: 'viewer' })).status).toBe(
      200,
    );
    expect((await api(url, 'GET', '/api/v1/events?after=1&limit=5', { role: 'viewer' })).status).toBe(200);
    // Actions: a viewer cannot act, a deployer cannot pause, an admin can.
    expect(
      (await api(url, 'POST', '/api/v1/environments/prod/rollback', { role: 'viewer', body: {} })).status,
    ).toBe(403);
    expect((await api(url, 'POST', '/api/v1/environments/prod/rollback', { body: {} })).status).toBe(401);
    expect(
      (await api(url, 'POST', '/api/v1/environments/staging/sync', { role: 'deployer', body: {} })).status,
    ).toBe(202);
    expect(
      (await api(url, 'POST', '/api/v1/environments/prod/pause', { role: 'deployer', body: {} })).status,
    ).toBe(403);
    const paused = await api(url, 'POST', '/api/v1/environments/prod/pause', {
      role: 'admin',
      body: { reason: 'freeze' },
    });
    expect(paused.status).toBe(200);
    expect((await environment('prod')).paused).toMatchObject({
      reason: 'freeze',
      commit: null,
      by: 'api:ada',
    });
    expect(
      (await api(url, 'POST', '/api/v1/environments/prod/pause', { role: 'admin', body: {} })).status,
    ).toBe(409);
    expect(
      (await api(url, 'POST', '/api/v1/environments/prod/resume', { role: 'admin', body: {} })).status,
    ).toBe(200);
    expect(
      (await api(url, 'POST', '/api/v1/environments/prod/resume', { role: 'admin', body: {} })).status,
    ).toBe(409);
    expect(
      (await api(url, 'POST', '/api/v1/environments/prod/approve', { role: 'deployer', body: {} })).status,
    ).toBe(400); // prod has no approval: true — invalid input (was 409 before the one approve path)
  });

  it('200 pushes in a burst become a few syncs that end on the newest commit', async () => {
    const before = (await runtime.state.listEvents({ limit: 10_000 })).filter(
      (e) => e.type === 'sync.started',
    ).length;
    const root = fixture.project.root;
    // 200 commits made at once (git fast-import), then main moved through them one push at a
    // time, each push announced by a signed webhook: the burst a busy repository produces.
    const base = await head();
    const stream = Array.from(
      { length: 200 },
      (_, i) =>
        `commit refs/heads/burst\ncommitter Tess Ter <tess@example.com> ${1_800_000_000 + i} +0000\ndata ${`burst ${i}`.length}\nburst ${i}\n${i === 0 ? `from ${base}\n` : ''}\n`,
    ).join('');
    await gitWithInput(root, stream, 'fast-import', '--quiet');
    const burst = (await git(root, 'rev-list', '--reverse', `${base}..burst`)).split('\n');
    expect(burst).toHaveLength(200);
    const deliveries: Promise<number>[] = [];
    const started = Date.now();
    await moveRefOneByOne(root, 'refs/heads/main', burst, (sha) => {
      deliveries.push(announce(runtime.url, sha));
    });
    const burstMs = Date.now() - started;
    expect(new Set(await Promise.all(deliveries))).toEqual(new Set([202]));
    const newest = await fixture.mergeVersion(6, 12);
    await announce(runtime.url, newest);
    await reached(newest, 'prod', ['promoted']);
    await eventually('the watcher idle', () => runtime.operator.watcher?.status.syncing === false, 10_000);
    const syncs = (await runtime.state.listEvents({ limit: 10_000 }))
      .filter((e) => e.type === 'sync.started')
      .slice(before);
    expect(syncs.length).toBeGreaterThanOrEqual(1);
    expect(syncs.length, `burst took ${burstMs} ms`).toBeLessThanOrEqual(5);
    expect((syncs.at(-1)?.data as { sha: string } | undefined)?.sha).toBe(newest);
    // Every commit is accounted for (none skipped silently): 200 burst commits + the merge's two.
    const reported = syncs.reduce((n, e) => n + (e.data as { commits: number }).commits, 0);
    expect(reported).toBe(202);
    expect(await runtime.reconciler.lastHandledCommit()).toBe(newest);
  }, 90_000);
  it('while another process holds the DuckDB file for writing, the operator says so instead of opening it', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // the idle operator has closed the warehouse
    const file = path.join(fixture.home, '.slipway', 'warehouse.duckdb');
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(${JSON.stringify(file)}); await (await i.connect()).run('select 1'); console.log('open'); setInterval(() => {}, 1000);`,
      ],
      { cwd: path.resolve(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.on('data', (d: Buffer) => d.toString().includes('open') && resolve());
        holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      await expect(runtime.reconciler.withServices(async () => 'opened')).rejects.toThrow(
        /the warehouse is open for writing in another process/,
      );
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await runtime.reconciler.withServices(async () => 'opened')).toBe('opened');
  });
});

/** Moves `ref` through `shas`, one committed ref update each (one git process), calling `after` after each. */
function moveRefOneByOne(
  root: string,
  ref: string,
  shas: readonly string[],
  after: (sha: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', root, 'update-ref', '--stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let index = 0;
    let buffered = '';
    const next = (): void => {
      const sha = shas[index];
      if (sha === undefined) {
        child.stdin.end();
        return;
      }
      child.stdin.write(`start\nupdate ${ref} ${sha}\ncommit\n`);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === 'commit: ok') {
          after(shas[index] as string);
          index += 1;
          next();
        }
        newline = buffered.indexOf('\n');
      }
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`git update-ref exited ${code}`)),
    );
    next();
  });
}
