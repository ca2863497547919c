/**
 * A sync that fails because input data has not arrived: the operator starts on a repository whose
 * `data/` is ignored by git and not in its home. Staging reads `Degraded` with the reason in the
 * API and in `slipway status`, the sync is retried with exponential backoff, and once the data is
 * put in the home the next retry picks it up (a fresh checkout linking `data/`, no restart) and
 * staging and prod converge.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { EnvironmentStatus } from '../../src/operator/operator-backend.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import { runCli } from '../helpers/run-cli.js';
import {
  api,
  eventually,
  type GitOpsFixture,
  gitopsFixture,
  operatorProbe,
  TOKENS,
} from './gitops-fixture.js';

const RETRY_BASE_MS = 250;

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
let sha: string;
const timeline: TimelineEntry[] = [];
const { reached, environment } = operatorProbe(() => runtime.url, timeline);

/** The retries the operator scheduled for staging, oldest first (from its event log). */
async function retries(): Promise<{ attempt: number; delayMs: number; summary: string }[]> {
  const events = await runtime.state.listEvents({ environment: 'staging', limit: 500 });
  return events
    .filter((e) => e.type === 'sync.retry_scheduled')
    .map((e) => e.data as { attempt: number; delayMs: number; summary: string })
    .sort((a, b) => a.attempt - b.attempt);
}

beforeAll(async () => {
  fixture = await gitopsFixture();
  // The data is not committed (data/ is in .gitignore) and not in the operator's home yet.
  await rm(path.join(fixture.project.root, 'data'), { recursive: true, force: true });
  sha = await git(fixture.project.root, 'rev-parse', 'HEAD');
  runtime = await fixture.start({ retryBaseMs: RETRY_BASE_MS, onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
});

afterAll(async () => {
  await fixture?.remove();
});

describe('a sync failing for missing input data', () => {
  it('shows staging Degraded with the reason and the next retry, in the API and in slipway status', async () => {
    await eventually('staging Degraded', async () => (await environment('staging')).sync === 'Degraded');
    const staging = await environment('staging');
    expect(staging.desiredCommit).toBe(sha);
    expect(staging.live).toBeNull();
    // The reason names the missing input, as DuckDB reported it.
    expect(staging.reason).toMatch(/^input data missing: no .*\/data yet \(.*orders\.csv/);
    expect(staging.reason).toContain(path.join(runtime.home, 'data'));
    expect(staging.retry?.attempt).toBeGreaterThanOrEqual(1);

    // A retry in flight reads Progressing; the reads below wait for a moment between retries.
    let all: EnvironmentStatus[] = [];
    await eventually('the list showing staging Degraded', async () => {
      const listed = await api(runtime.url, 'GET', '/api/v1/environments', { role: 'viewer' });
      all = listed.json['environments'] as EnvironmentStatus[];
      return all.find((e) => e.name === 'staging')?.sync === 'Degraded';
    });
    expect(all.find((e) => e.name === 'staging')?.reason).toBe(staging.reason);
    // Prod has nothing to promote yet: it is not Degraded by staging's failure.
    expect(all.find((e) => e.name === 'prod')?.sync).not.toBe('Degraded');

    let shown = '';
    await eventually('slipway status showing staging Degraded', async () => {
      const status = await runCli(['status', '--env', 'staging'], {
        env: { SLIPWAY_OPERATOR_URL: runtime.url, SLIPWAY_TOKEN: TOKENS.viewer },
      });
      expect(status.code, status.stderr).toBe(0);
      shown = status.stdout;
      return shown.includes('Degraded');
    });
    expect(shown).toMatch(/Degraded: input data missing: .*orders\.csv/);
    expect(shown).toMatch(/retry \d+ at \d{4}-/);
  });

  it('retries with exponential backoff while the data is missing', async () => {
    await eventually('three retries scheduled', async () => (await retries()).length >= 3);
    const [first, second, third] = await retries();
    expect(first).toMatchObject({ attempt: 1, delayMs: RETRY_BASE_MS });
    expect(second).toMatchObject({ attempt: 2, delayMs: 2 * RETRY_BASE_MS });
    expect(third).toMatchObject({ attempt: 3, delayMs: 4 * RETRY_BASE_MS });
    expect(first?.summary).toMatch(/orders\.csv/);
    // Each retry was a real sync attempt of the same commit that failed again.
    const attempt = await runtime.reconciler.store.lastAttempt('staging');
    expect(attempt).toMatchObject({ commit: sha, status: 'failed' });
    expect(timeline.some((e) => e.environment === 'staging' && e.outcome === 'released')).toBe(false);
  });

  it('picks up data added to the home without a restart: staging and prod converge', async () => {
    const before = runtime.operator;
    const data = path.join(runtime.home, 'data');
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, 'orders.csv'), 'order_id,customer_id,amount\n1,10,5.00\n2,20,2.50\n');

    await reached(sha, 'staging', ['released']);
    await reached(sha, 'prod', ['promoted']);
    expect(runtime.operator).toBe(before);
    for (const name of ['staging', 'prod']) {
      const env = await environment(name);
      expect(env).toMatchObject({ sync: 'Synced', reason: null, retry: null });
      expect(env.live?.commit.sha).toBe(sha);
    }
    // Prod shows the data that arrived: two orders, 7.50 in all.
    const rows = await runtime.reconciler.withServices(({ warehouse }) =>
      warehouse.query(
        'select (select count(*) from prod.stg_orders) as n, (select total from prod.grand_total) as t',
      ),
    );
    expect([Number(rows.rows[0]?.['n']), Number(rows.rows[0]?.['t'])]).toEqual([2, 7.5]);
    const count = (await retries()).length;
    // No retry is scheduled after the success.
    await runtime.reconciler.refresh(runtime.operator.grant?.term);
    expect((await retries()).length).toBe(count);
  });
});
