/**
 * `slipway operator`'s leadership options: a lease time or standby retry that is not a duration
 * is refused in one line naming the option, exit 2, before anything is opened or written.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-operator-options-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it.each([
  [['--standby-retry', 'soon'], "error: --standby-retry must be a duration such as 3s, not 'soon'"],
  [['--standby-retry', '0s'], "error: --standby-retry must be a duration such as 3s, not '0s'"],
  [['--lease-ttl', 'long'], 'error: --lease-ttl must be a duration such as 15s'],
])('refuses %j in one line (exit 2) and opens nothing', async (args, message) => {
  const home = path.join(dir, `home-${args.join('-')}`);
  const result = await runCli(['operator', '--repo', dir, '--home', home, '--port', '0', ...args]);
  expect(result.code).toBe(2);
  expect(result.stderr.split('\n')[0]).toBe(message);
  expect(existsSync(home)).toBe(false);
});
