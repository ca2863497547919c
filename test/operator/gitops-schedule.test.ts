/**
 * Scheduled runs through the real operator: an environment's cron `schedule` runs `run` on its
 * active release, never two at once, and a run missed while the operator was down runs once when
 * it starts again.
 */
import { afterAll, expect, it } from 'vitest';
import type { Run } from '../../src/operator/operator-backend.js';
import { api, eventually, GITOPS_CONFIG, type GitOpsFixture, gitopsFixture } from './gitops-fixture.js';

let fixture: GitOpsFixture | undefined;

afterAll(async () => {
  await fixture?.remove();
});

async function runs(url: string): Promise<Run[]> {
  return (await api(url, 'GET', '/api/v1/runs?environment=prod&limit=500', { role: 'viewer' })).json[
    'runs'
  ] as Run[];
}

it('runs prod on its schedule without overlap, and catches up a missed run on start', async () => {
  // Every 2 seconds (croner's six-field form), on prod only.
  fixture = await gitopsFixture(
    GITOPS_CONFIG.replace(
      'prod: { strategy: blue-green, promote_from: staging, sync: auto, self_heal: true }',
      'prod: { strategy: blue-green, promote_from: staging, sync: auto, schedule: "*/2 * * * * *" }',
    ),
  );
  const first = await fixture.start();
  await first.leader();
  await eventually(
    'two scheduled runs of prod',
    async () => (await runs(first.url)).filter((r) => r.status === 'succeeded').length >= 2,
    30_000,
  );
  const done = (await runs(first.url)).filter((r) => r.status !== 'running').reverse();
  for (const r of done)
    expect(r).toMatchObject({ environment: 'prod', status: 'succeeded', trigger: 'schedule' });
  for (let i = 1; i < done.length; i++) {
    expect(Date.parse(done[i]?.startedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(done[i - 1]?.finishedAt ?? ''),
    );
  }
  await first.stop();
  await new Promise((r) => setTimeout(r, 2500)); // at least one occurrence passes while down
  const second = await fixture.start();
  await second.leader();
  await eventually(
    'the catch-up run',
    async () => (await runs(second.url)).some((r) => r.trigger === 'catch_up'),
    30_000,
  );
  expect((await runs(second.url)).filter((r) => r.trigger === 'catch_up')).toHaveLength(1);
}, 90_000);
