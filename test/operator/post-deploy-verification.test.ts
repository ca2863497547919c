/**
 * Post-deploy verification on a real git repository with real DuckDB and SQLite: prod verifies
 * every promotion (its checks on the live views, and row counts within 50 % of the release
 * before). A commit that passes staging's check gate but drops most rows is promoted, fails prod's
 * verification and is rolled back automatically; prod ends on the previous release, paused for
 * that commit (API and `slipway status`), polls and syncs do not re-release it nor loop
 * staging → prod, and the next commit resumes prod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import { runCli } from '../helpers/run-cli.js';
import {
  announce,
  api,
  eventually,
  GITOPS_CONFIG,
  type GitOpsFixture,
  gitopsFixture,
  models,
  operatorProbe,
  shrunk,
  TOKENS,
} from './gitops-fixture.js';

const CONFIG = GITOPS_CONFIG.replace(
  '  prod: { strategy: blue-green, promote_from: staging, sync: auto, self_heal: true }\n',
  '  prod:\n    strategy: blue-green\n    promote_from: staging\n    sync: auto\n    verify: { max_row_change: 50% }\n',
).replace('  audit: { strategy: direct, promote_from: prod, sync: auto, approval: true }\n', '');

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached, environment, releases, events } = operatorProbe(() => runtime.url, timeline);

/** Merges `files` as pull request `pr` and announces it by webhook. */
async function merge(files: Record<string, string>, pr: number): Promise<string> {
  const sha = await fixture.mergeFiles(files, pr);
  expect(await announce(runtime.url, sha)).toBe(202);
  return sha;
}

beforeAll(async () => {
  fixture = await gitopsFixture(CONFIG);
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
});

afterAll(async () => {
  await fixture?.remove();
});

describe('post-deploy verification', () => {
  let good: string;
  let bad: string;
  let goodProd: string | undefined;

  it('verifies each promotion to prod and records it', async () => {
    const first = await git(fixture.project.root, 'rev-parse', 'HEAD');
    await reached(first, 'prod', ['promoted']);
    good = await merge(models(2), 41);
    await reached(good, 'prod', ['promoted']);
    await eventually(
      'prod verified',
      async () => (await environment('prod')).verification?.status === 'passed',
    );
    const prod = await environment('prod');
    goodProd = prod.live?.releaseId;
    expect(prod.verification).toMatchObject({ releaseId: goodProd, commit: good, status: 'passed' });
    // One check (customer_totals.total range) on prod's views; three models changed, rows unchanged.
    expect(prod.verification?.summary).toMatch(/^1 check passed; 3 changed models within 50% rows/);
    expect((await events('prod')).some((e) => e.type === 'release.verified' && e.actor === 'operator')).toBe(
      true,
    );
    // Staging has no verify block: nothing is recorded for it.
    expect((await environment('staging')).verification).toBeNull();
  });

  it('a change that passes the gate but fails verification in prod is rolled back automatically and stays so', async () => {
    bad = await merge(shrunk(3), 42);
    // Staging's gate passes it (the range check holds), so staging releases it and prod takes it…
    await reached(bad, 'staging', ['released']);
    await reached(bad, 'prod', ['promoted']);
    // …and prod's verification sees stg_orders lose two of its three rows.
    await reached(bad, 'prod', ['verify failed']);
    await eventually('prod rolled back', () =>
      timeline.some((e) => e.environment === 'prod' && e.outcome === 'rolled back'),
    );
    const prod = await environment('prod');
    expect(prod.live?.commit.sha).toBe(good);
    expect(prod.sync).toBe('Degraded');
    expect(prod.paused).toMatchObject({ commit: bad, by: 'operator' });
    expect(prod.paused?.reason).toMatch(
      /^rollback: post-deploy verification failed: stg_orders rows 3 → 1 \(−66\.7%, bound 50%\)/,
    );
    expect(prod.verification).toMatchObject({ commit: bad, status: 'failed' });
    const [rollback, promoted] = await releases('prod');
    expect(rollback).toMatchObject({ trigger: 'rollback', actor: 'operator', commit: { sha: good } });
    expect(promoted).toMatchObject({ commit: { sha: bad, pullRequest: 42 } });
    expect(promoted?.message).toMatch(/^post-deploy verification failed: stg_orders rows 3 → 1/);
    // The bad release reads as rolled back, by which release and why; the rollback itself succeeded.
    expect(promoted).toMatchObject({
      status: 'rolled_back',
      rolledBackBy: rollback?.id,
      verification: { status: 'failed', summary: expect.stringMatching(/^stg_orders rows 3 → 1/) },
    });
    expect(rollback).toMatchObject({ status: 'succeeded', verification: null, rolledBackBy: null });
    expect((await releases('prod')).find((r) => r.id === goodProd)).toMatchObject({
      status: 'succeeded',
      verification: { status: 'passed' },
    });
    // The views show the previous release's rows again.
    const rows = await runtime.reconciler.withServices(({ warehouse }) =>
      warehouse.query('select count(*)::INT as n, max(version) as v from prod.stg_orders'),
    );
    expect(rows.rows[0]).toMatchObject({ n: 3, v: 2 });
    // Staging keeps the commit: it passed everything staging asks for.
    expect((await environment('staging')).live?.commit.sha).toBe(bad);

    const log = (await events('prod')).map((e) => `${e.type}:${e.actor}`);
    const at = (type: string) => log.indexOf(`${type}:operator`);
    expect(at('release.verification_failed')).toBeGreaterThan(-1);
    expect(at('incident.opened')).toBeGreaterThan(at('release.verification_failed'));
    expect(at('rollback')).toBeGreaterThan(at('incident.opened'));
    expect(at('sync.paused')).toBeGreaterThan(at('rollback'));
    expect(at('incident.resolved')).toBeGreaterThan(at('rollback'));
    expect(at('release.rolled_back')).toBeGreaterThan(at('release.verification_failed'));
    const failed = (await events('prod')).find((e) => e.type === 'release.verification_failed');
    expect(failed?.message).toMatch(/post-deploy verification failed: stg_orders rows 3 → 1/);
  });

  it('polls and syncs leave prod rolled back, with no staging → prod loop', async () => {
    const before = (await releases('prod')).length;
    const term = runtime.operator.grant?.term;
    await runtime.reconciler.refresh(term);
    await runtime.reconciler.refresh(term);
    const passes = timeline.length;
    expect((await api(runtime.url, 'POST', '/api/v1/sync', { role: 'deployer', body: {} })).status).toBe(202);
    await eventually('the sync pass', () => timeline.slice(passes).some((e) => e.environment === 'staging'));
    await runtime.reconciler.refresh(term);
    expect(await releases('prod')).toHaveLength(before);
    const prod = await environment('prod');
    expect(prod.live?.commit.sha).toBe(good);
    expect(prod.paused?.commit).toBe(bad);
    expect(
      timeline.filter((e) => e.environment === 'prod' && e.commit === bad && e.outcome === 'promoted'),
    ).toHaveLength(1);

    // `slipway status` through the running operator shows the pause and the failed verification.
    const status = await runCli(['status'], {
      env: { SLIPWAY_OPERATOR_URL: runtime.url, SLIPWAY_TOKEN: TOKENS.viewer },
    });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/Paused: rollback: post-deploy verification failed: stg_orders rows 3 → 1/);
    expect(status.stdout).toMatch(/failed: stg_orders rows 3 → 1/);

    // `slipway history` says so too: the bad release rolled back, with the reason.
    const history = await runCli(['history', '--env', 'prod'], {
      env: { SLIPWAY_OPERATOR_URL: runtime.url, SLIPWAY_TOKEN: TOKENS.viewer },
    });
    expect(history.code, history.stderr).toBe(0);
    const line = history.stdout.split('\n').find((l) => l.includes(bad.slice(0, 10)));
    expect(line).toMatch(/rolled_back .* failed .*post-deploy verification failed: stg_orders rows 3 → 1/);
  });

  it('the next commit resumes prod and is verified against the release prod shows', async () => {
    const next = await merge(models(4), 43);
    await reached(next, 'prod', ['promoted']);
    // Settled, and the pass that verified it over.
    await eventually('prod verified', async () => {
      const prod = await environment('prod');
      return (
        prod.verification?.commit === next &&
        prod.verification.status !== 'pending' &&
        prod.sync !== 'Progressing'
      );
    });
    const prod = await environment('prod');
    expect(prod.paused).toBeNull();
    expect(prod.sync).toBe('Synced');
    expect(prod.live?.commit.sha).toBe(next);
    // Compared with the rolled-back-to release (3 rows), not with the bad one (1 row).
    expect(prod.verification).toMatchObject({ commit: next, status: 'passed' });
    expect((await events('prod')).some((e) => e.type === 'sync.resumed')).toBe(true);
  });
});
