/**
 * The operator releases a canary environment through the same strategy object as `slipway
 * apply`: on a real git repository, in-process, a first commit goes through its sample steps and
 * is switched; a merged regression is stopped at the 5 % step, the release is failed with the
 * metric named (API and audit log), and the environment keeps showing its live release.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import {
  announce,
  GITOPS_CONFIG,
  type GitOpsFixture,
  gitopsFixture,
  operatorProbe,
  shrunk,
} from './gitops-fixture.js';

// staging follows the branch with the canary. The orders source declares no columns, so it is
// read whole (every step sees every order); min_rows 0 judges even these three orders.
const CONFIG = GITOPS_CONFIG.replace(
  'staging: { strategy: blue-green, sync: auto }',
  'staging: { strategy: canary, sync: auto, canary: { key: customer_id, analysis: { min_rows: 0 } } }',
);

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached, environment, releases, events } = operatorProbe(() => runtime.url, timeline);

beforeAll(async () => {
  fixture = await gitopsFixture(CONFIG);
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
});
afterAll(async () => {
  await fixture?.remove();
});

describe('the operator with a canary environment', () => {
  it('releases the first commit through the canary steps', async () => {
    const sha = await git(fixture.project.root, 'rev-parse', 'HEAD');
    await reached(sha, 'staging', ['released']);
    const [latest] = await releases('staging');
    expect(latest).toMatchObject({ strategy: 'canary', status: 'succeeded' });
    const steps = (await events('staging')).filter((e) => e.type === 'release.canary_step');
    expect(steps.map((e) => e.message).sort()).toEqual([
      expect.stringMatching(/^canary 25%: \d+ metrics passed, 0 failed, 0 inconclusive → widen$/),
      expect.stringMatching(/^canary 5%: \d+ metrics passed, 0 failed, 0 inconclusive → widen$/),
    ]);
  });

  it('stops a merged regression at the 5% step; staging keeps its live release', async () => {
    const live = (await environment('staging')).live?.commit.sha;
    const sha = await fixture.mergeFiles(shrunk(1), 11, 'Keep only the first order');
    expect(await announce(runtime.url, sha)).toBe(202);
    await reached(sha, 'staging', ['failed']);
    const [latest] = await releases('staging');
    expect(latest?.strategy).toBe('canary');
    expect(latest?.status).toBe('failed');
    expect(latest?.message).toMatch(/canary aborted at the 5% step: .*stg_orders\.(changed_keys|row_count)/);
    expect((await environment('staging')).live?.commit.sha).toBe(live);
    const aborted = (await events('staging')).filter((e) => e.type === 'release.canary_aborted');
    expect(aborted).toHaveLength(1);
    expect(aborted[0]?.message).toBe(latest?.message);
  });
});
