/**
 * `slipway demo --exit` runs the whole story with the built binary and ends with exit 0: the
 * feature reaches prod, CI blocks the broken change, the gate blocks the bad merge, the rollback
 * holds until the next commit.
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
  expect(out).toMatch(/prod\s+Synced/);
  expect(out).toMatch(/Story played in/);
}, 180_000);
