/**
 * The built `slipway operator`'s log stream: every stderr line parses as JSON (state changes,
 * the listening line, `stopping`, `stopped` included), no secret from its environment appears in
 * it, and with `SLIPWAY_SPLUNK_HEC_URL` set the same lines reach a Splunk HEC stand-in
 * (test/helpers/splunk-hec-stand-in.ts implements HEC's published event endpoint; Splunk cannot
 * run here), the last of them (`stopped`) delivered on the clean shutdown. `--log-file` keeps them
 * in a file as well.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN } from '../helpers/run-cli.js';
import { type HecStandIn, startHecStandIn } from '../helpers/splunk-hec-stand-in.js';
import { eventually, type GitOpsFixture, gitopsFixture, TOKENS } from './gitops-fixture.js';

const HEC_TOKEN = 'hec-token-7d2f9a61';
const DB_PASSWORD = 'pg-pass-0b8e44';
let fixture: GitOpsFixture;
let hec: HecStandIn;

beforeAll(async () => {
  fixture = await gitopsFixture();
  hec = await startHecStandIn(HEC_TOKEN);
});

afterAll(async () => {
  await hec?.stop();
  await fixture?.remove();
});

it('writes only JSON lines on stderr, redacts secrets, ships them to HEC and to a file, and flushes on SIGTERM', async () => {
  const logFile = path.join(fixture.home, 'logs', 'operator.log');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'operator',
      '--repo',
      fixture.project.root,
      '--home',
      fixture.home,
      '--port',
      '0',
      '--poll',
      '0',
      '--log-file',
      logFile,
    ],
    {
      env: {
        ...process.env,
        NO_COLOR: '1',
        SLIPWAY_LOG_LEVEL: 'info',
        SLIPWAY_API_TOKENS: `ada:admin:${TOKENS.admin}`,
        SLIPWAY_SPLUNK_HEC_URL: hec.url,
        SLIPWAY_SPLUNK_HEC_TOKEN: HEC_TOKEN,
        SLIPWAY_STATE_DB_PASSWORD: DB_PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await eventually(
    'the operator to lead',
    () => stderr.includes('"operator leader"') || child.exitCode !== null,
    60_000,
  );
  expect(stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  const lines = stderr.split('\n').filter((l) => l.length > 0);
  const parsed = lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON line on stderr: ${line}`);
    }
  });
  const messages = parsed.map((p) => p['msg']);
  expect(messages).toContain('operator leader');
  expect(messages).toContain('operator listening');
  expect(messages.at(-1)).toBe('stopped');
  expect(parsed.every((p) => typeof p['level'] === 'number' && typeof p['time'] === 'string')).toBe(true);
  for (const secret of [HEC_TOKEN, DB_PASSWORD, TOKENS.admin]) expect(stderr).not.toContain(secret);

  // HEC received the same lines, `stopped` (written just before exit) included.
  const shipped = hec.events().map((e) => e['msg']);
  expect(shipped).toContain('operator leader');
  expect(shipped.at(-1)).toBe('stopped');
  expect(hec.requests.every((r) => r.authorization === `Splunk ${HEC_TOKEN}`)).toBe(true);

  const file = (await readFile(logFile, 'utf8')).trim().split('\n');
  expect(file.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(messages);
});
