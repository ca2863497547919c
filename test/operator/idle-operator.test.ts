/**
 * What an idle operator does on its periodic pass after a restart: it reads the last handled
 * commit's slipway.yaml from the mirror (the environments, the warehouse) and looks for drift,
 * without checking the commit out or parsing its models; a scheduled run or a release loads the
 * whole project when it needs it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { EnvironmentStatus } from '../../src/operator/operator-backend.js';
import { git } from '../helpers/release-project.js';
import { api, eventually, type GitOpsFixture, gitopsFixture } from './gitops-fixture.js';

let fixture: GitOpsFixture;

beforeAll(async () => {
  fixture = await gitopsFixture();
});

afterAll(async () => {
  await fixture?.remove();
});

const checkouts = async (): Promise<string[]> =>
  readdir(path.join(fixture.home, 'checkouts')).catch(() => []);

it('a restarted idle operator reconciles drift from the commit configuration alone', async () => {
  const head = await git(fixture.project.root, 'rev-parse', 'HEAD');
  const first = await fixture.start();
  await eventually('prod released', async () => (await first.state.getPointer('prod')) !== undefined);
  await first.stop();
  expect(await checkouts()).toEqual([]);

  const runtime: OperatorRuntime = await fixture.start();
  await runtime.leader();
  await runtime.reconciler.refresh(runtime.operator.grant?.term);
  // Someone drops a view behind the operator's back; the next pass sees it.
  await runtime.reconciler.withServices(async ({ warehouse }, loaded) => {
    expect(loaded?.sha).toBe(head); // loaded for whoever asks for the project…
    await warehouse.execute('DROP VIEW staging.grand_total');
  });
  await runtime.stop();
  expect(await checkouts()).toEqual([]);

  const again = await fixture.start();
  await again.leader();
  await again.reconciler.refresh(again.operator.grant?.term);
  // …but a periodic pass checks nothing out.
  expect(await checkouts()).toEqual([]);
  const { json } = await api(again.url, 'GET', '/api/v1/environments/staging', { role: 'viewer' });
  const staging = json as unknown as EnvironmentStatus;
  expect(staging.drift).toEqual([{ relation: 'staging.grand_total', problem: 'view missing' }]);
  expect(staging.desiredCommit).toBe(head);
  expect(again.reconciler.environments.map((e) => e.name)).toEqual(['staging', 'prod', 'audit']);
});
