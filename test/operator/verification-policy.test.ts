/**
 * The operator's verification policies on a real repository (real git, DuckDB, SQLite):
 * `verify: { rollback: false }` only reports — staging stays on the release that failed, its
 * status and release say so, an incident is opened, nothing is promoted — and a later release that
 * passes resolves the incident; a verification still pending (a long `delay`) when a commit removes
 * the `verify:` block is settled as passed, so the promotion waiting for it goes ahead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import { runCli } from '../helpers/run-cli.js';
import {
  announce,
  eventually,
  GITOPS_CONFIG,
  type GitOpsFixture,
  gitopsFixture,
  models,
  operatorProbe,
  shrunk,
  TOKENS,
} from './gitops-fixture.js';

const STAGING = '  staging: { strategy: blue-green, sync: auto }\n';
const config = (staging: string): string =>
  GITOPS_CONFIG.replace(STAGING, staging)
    .replace(', self_heal: true', '')
    .replace('  audit: { strategy: direct, promote_from: prod, sync: auto, approval: true }\n', '');
const REPORT_ONLY = config(
  '  staging: { strategy: blue-green, sync: auto, verify: { max_row_change: 50%, rollback: false } }\n',
);
const DELAYED = config('  staging: { strategy: blue-green, sync: auto, verify: { delay: 1h } }\n');
const NO_VERIFY = config(STAGING);

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached, environment, releases, events } = operatorProbe(() => runtime.url, timeline);

/** Waits until the environment is not being worked on (the pass that verified it is over). */
const settled = (name: string) =>
  eventually(`${name} settled`, async () => (await environment(name)).sync !== 'Progressing');

async function push(files: Record<string, string>, message: string): Promise<string> {
  const sha = await fixture.commitFiles(files, message);
  expect(await announce(runtime.url, sha)).toBe(202);
  return sha;
}

beforeAll(async () => {
  fixture = await gitopsFixture(REPORT_ONLY);
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
});

afterAll(async () => {
  await fixture?.remove();
});

describe('verification policies in the operator', () => {
  let good: string;
  let bad: string;

  it('verify: { rollback: false } only reports: staging stays on the release that failed, and says so', async () => {
    const first = await git(fixture.project.root, 'rev-parse', 'HEAD');
    await reached(first, 'prod', ['promoted']);
    good = await push(models(2), 'Version 2');
    await reached(good, 'prod', ['promoted']);
    bad = await push(shrunk(3), 'A filter left in');
    await reached(bad, 'staging', ['verify failed']);
    await settled('staging');

    const staging = await environment('staging');
    expect(staging.live?.commit.sha).toBe(bad);
    expect(staging.sync).toBe('Degraded');
    expect(staging.paused).toBeNull();
    expect(staging.verification).toMatchObject({ commit: bad, status: 'failed' });
    expect(staging.verification?.summary).toMatch(/^stg_orders rows 3 → 1 \(−66\.7%, bound 50%\)/);
    expect(timeline.some((e) => e.environment === 'staging' && e.outcome === 'rolled back')).toBe(false);

    // The release is live, so it succeeded; it does not read as plainly succeeded.
    const [live] = await releases('staging');
    expect(live).toMatchObject({
      commit: { sha: bad },
      status: 'succeeded',
      rolledBackBy: null,
      verification: { status: 'failed' },
    });
    expect(live?.message).toMatch(/^post-deploy verification failed: stg_orders rows 3 → 1/);

    const log = (await events('staging')).map((e) => e.type);
    expect(log.filter((t) => t === 'release.verification_failed')).toHaveLength(1);
    expect(log.lastIndexOf('incident.opened')).toBeGreaterThan(
      log.lastIndexOf('release.verification_failed'),
    );
    expect(log.lastIndexOf('incident.resolved')).toBeLessThan(log.lastIndexOf('incident.opened'));
    expect(log).not.toContain('rollback');
    expect(log).not.toContain('release.rolled_back');

    // Prod is not given a release that failed its source's verification, pass after pass.
    await runtime.reconciler.refresh(runtime.operator.grant?.term);
    expect((await environment('prod')).live?.commit.sha).toBe(good);
    expect((await releases('prod')).some((r) => r.commit.sha === bad)).toBe(false);

    const status = await runCli(['status'], {
      env: { SLIPWAY_OPERATOR_URL: runtime.url, SLIPWAY_TOKEN: TOKENS.viewer },
    });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/failed: stg_orders rows 3 → 1/);
  });

  it('a later release that passes resolves the incident and goes on to prod', async () => {
    const next = await push(models(4), 'Version 4');
    await reached(next, 'prod', ['promoted']);
    expect((await environment('staging')).verification).toMatchObject({ commit: next, status: 'passed' });
    const log = (await events('staging')).map((e) => e.type);
    expect(log.lastIndexOf('incident.resolved')).toBeGreaterThan(log.lastIndexOf('incident.opened'));
  });

  it('removing the verify: block while a verification is pending settles it as passed', async () => {
    const delayed = await push(
      { ...models(5), 'slipway.yaml': DELAYED },
      'Version 5, verified an hour later',
    );
    await reached(delayed, 'staging', ['released']);
    await settled('staging');
    const pending = (await environment('staging')).verification;
    expect(pending).toMatchObject({ commit: delayed, status: 'pending' });
    expect(Date.parse(pending?.dueAt ?? '') - Date.now()).toBeGreaterThan(50 * 60_000);
    // Prod waits for staging's verdict.
    await runtime.reconciler.refresh(runtime.operator.grant?.term);
    expect((await environment('prod')).live?.commit.sha).not.toBe(delayed);
    expect((await events('prod')).some((e) => e.type === 'promotion.waiting')).toBe(true);

    // Only slipway.yaml changes: staging keeps its release, whose verification nothing asks for now.
    const removed = await push({ 'slipway.yaml': NO_VERIFY }, 'Staging needs no verification');
    await reached(delayed, 'prod', ['promoted']);
    const staging = await environment('staging');
    expect(staging.live?.commit.sha).toBe(delayed);
    expect(staging.verification).toMatchObject({
      commit: delayed,
      status: 'passed',
      summary: 'nothing to verify: the environment no longer has a verify block',
    });
    expect(timeline.some((e) => e.environment === 'staging' && e.commit === removed)).toBe(true);
    const [release] = await releases('staging');
    expect(release).toMatchObject({
      commit: { sha: delayed },
      status: 'succeeded',
      verification: { status: 'passed' },
    });
    expect(
      (await events('staging')).some(
        (e) =>
          e.type === 'release.verified' &&
          e.actor === 'operator' &&
          /no longer has a verify block/.test(e.message),
      ),
    ).toBe(true);
  });
});
