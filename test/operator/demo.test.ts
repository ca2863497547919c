/**
 * `slipway demo --exit` runs the whole story with the built binary and ends with exit 0: the
 * feature reaches prod, CI (`slipway ci`) blocks the broken change, the gate blocks the bad merge,
 * the rollback holds until the next commit, and prod's post-deploy verification rolls back a change
 * that passed CI and the gate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('slipway demo --exit plays the story to the end', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-demo-'));
  const result = await runCli(['demo', '--exit', '--dir', path.join(dir, 'demo'), '--scale', '0.02'], {
    cwd: dir,
    timeoutMs: 150_000,
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const out = result.stdout;
  expect(out).toMatch(/CI on feature\/region-avg-amount: passed/);
  expect(out).toMatch(/CI on feature\/stricter-card-testing: failed/);
  expect(out).toMatch(/✗ staging\s+blocked/);
  expect(out).toMatch(/prod still shows \w+ \(PR #1\)/);
  expect(out).toMatch(/after a sync: prod shows \w+ — OutOfSync, paused: rollback/);
  // CI is the real `slipway ci`: only the changed model is built, and it is diffed against prod.
  expect(out).toMatch(/1 of \d+ models built in ci_[0-9a-f]{8} \(the rest read prod's tables\)/);
  expect(out).toMatch(/CI on feature\/night-feature: passed/);
  expect(out).toMatch(
    /✗ prod\s+verify failed\s+\w+\s+r-\w+ ds_transaction_features rows [\d,]+ → [\d,]+ \(−\d+\.?\d*%, bound 50%\)/,
  );
  expect(out).toMatch(/prod shows \w+ again — Degraded, paused: rollback: post-deploy verification failed/);
  expect(out).toMatch(/prod\s+Synced/);
  expect(out).toMatch(/Story played in/);
}, 180_000);
