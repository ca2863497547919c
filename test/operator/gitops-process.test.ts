/**
 * The operator as real processes (the built `slipway operator`), watching a repository served by
 * `git daemon` on loopback: the leader is SIGKILLed in the middle of a release (paused just
 * before the switch), the standby takes over within the lease time, settles the interrupted
 * release, finishes the sync, keeps releasing new commits, and stops cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EnvironmentStatus, Release } from '../../src/operator/operator-backend.js';
import { type GitDaemon, startGitDaemon } from '../helpers/git-fixtures.js';
import { git } from '../helpers/release-project.js';
import { BIN, json as parseJson, runCli } from '../helpers/run-cli.js';
import { api, eventually, type GitOpsFixture, gitopsFixture, TOKENS } from './gitops-fixture.js';

let fixture: GitOpsFixture;
let daemon: GitDaemon;
const children: ChildProcess[] = [];

beforeAll(async () => {
  fixture = await gitopsFixture();
  daemon = await startGitDaemon(path.dirname(fixture.project.root));
  // A remote repository brings no data: the operator home holds it.
  await cp(path.join(fixture.project.root, 'data'), path.join(fixture.home, 'data'), { recursive: true });
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await daemon?.stop();
  await fixture?.remove();
});

interface OperatorProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
}

async function startOperator(env: NodeJS.ProcessEnv = {}): Promise<OperatorProcess> {
  const repo = daemon.url(path.basename(fixture.project.root));
  const child = spawn(
    process.execPath,
    [
      BIN,
      'operator',
      '--repo',
      repo,
      '--home',
      fixture.home,
      '--port',
      '0',
      '--poll',
      '1s',
      '--lease-ttl',
      '2s',
    ],
    {
      env: {
        ...process.env,
        NO_COLOR: '1',
        SLIPWAY_LOG_LEVEL: 'warn',
        SLIPWAY_API_TOKENS: `ada:admin:${TOKENS.admin}`,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await eventually(
    'the operator URL',
    () => /listening on (http:\/\/\S+)/.test(stdout) || child.exitCode !== null,
    30_000,
  );
  const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
  if (!url) throw new Error(`operator did not start:\n${stdout}\n${stderr}`);
  return { child, url, stderr: () => stderr };
}

async function health(url: string): Promise<string | undefined> {
  try {
    return (await api(url, 'GET', '/healthz')).json['state'] as string;
  } catch {
    return undefined;
  }
}

async function environment(url: string, name: string): Promise<EnvironmentStatus> {
  return (await api(url, 'GET', `/api/v1/environments/${name}`, { role: 'admin' }))
    .json as unknown as EnvironmentStatus;
}

it('a leader killed mid-release is replaced by the standby, which settles the release and carries on', async () => {
  const head = await git(fixture.project.root, 'rev-parse', 'HEAD');
  const first = await startOperator({ SLIPWAY_TEST_PAUSE_AT: 'before-switch' });
  await eventually(
    'the leader to stop before the switch',
    () => first.stderr().includes('slipway-paused before-switch'),
    60_000,
  );
  const standby = await startOperator();
  await eventually(
    'the second process to be a standby',
    async () => (await health(standby.url)) === 'standby',
    10_000,
  );
  expect(await health(first.url)).toBe('leader');

  const killedAt = Date.now();
  first.child.kill('SIGKILL');
  await eventually('the standby to lead', async () => (await health(standby.url)) === 'leader', 10_000);
  const takeoverMs = Date.now() - killedAt;
  expect(takeoverMs).toBeLessThan(2000 + 2000); // the lease time, plus one standby retry

  await eventually(
    'prod on the head',
    async () => (await environment(standby.url, 'prod')).live?.commit.sha === head,
    60_000,
  );
  const { json } = await api(standby.url, 'GET', '/api/v1/releases?environment=staging', { role: 'admin' });
  const staging = (json['releases'] as Release[]).map((r) => r.status);
  // The interrupted release was settled (abandoned: it never switched), then released again.
  expect(staging).toEqual(['succeeded', 'aborted']);
  expect((await environment(standby.url, 'staging')).sync).toBe('Synced');

  // The new leader keeps working: a new commit (found by polling git://) reaches prod.
  const next = await fixture.mergeVersion(2, 31);
  await eventually(
    'prod on the next commit',
    async () => (await environment(standby.url, 'prod')).live?.commit.sha === next,
    60_000,
  );
  const prod = await environment(standby.url, 'prod');
  expect(prod.live?.commit.pullRequest).toBe(31);

  // The CLI talks to the running operator: found through operator.json in its home, or by URL.
  const viaHome = { SLIPWAY_OPERATOR_HOME: fixture.home, SLIPWAY_TOKEN: TOKENS.admin };
  const status = await runCli(['status', '--json'], { env: viaHome });
  expect(status.code).toBe(0);
  const listed = parseJson<{ operator: string; environments: EnvironmentStatus[] }>(status);
  expect(listed.operator).toBe(standby.url);
  expect(listed.environments.find((e) => e.name === 'prod')?.live?.commit.sha).toBe(next);
  const noToken = await runCli(['status'], { env: { SLIPWAY_OPERATOR_URL: standby.url } });
  expect(noToken.code).toBe(2);
  expect(noToken.stderr).toMatch(/SLIPWAY_TOKEN/);
  const viaUrl = { SLIPWAY_OPERATOR_URL: standby.url, SLIPWAY_TOKEN: TOKENS.admin };
  const rollback = await runCli(['rollback', '--env', 'prod', '--reason', 'from the CLI'], { env: viaUrl });
  expect(rollback.code).toBe(0);
  expect(rollback.stdout).toMatch(/auto-sync paused until the next commit/);
  const history = parseJson<{ releases: Release[] }>(
    await runCli(['history', '--env', 'prod', '--json'], { env: viaUrl }),
  );
  expect(history.releases[0]).toMatchObject({ trigger: 'rollback', actor: 'api:ada', commit: { sha: head } });
  const paused = await environment(standby.url, 'prod');
  expect(paused.paused?.commit).toBe(next);
  const approve = await runCli(['approve', '--env', 'prod'], { env: viaUrl });
  expect(approve.code).toBe(2); // prod needs no approval: invalid input (400), from the operator

  // SIGTERM: a clean stop that gives the lease and the operator file up.
  const exited = new Promise<number | null>((resolve) => standby.child.once('exit', (code) => resolve(code)));
  standby.child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await expect(stat(path.join(fixture.home, 'operator.json'))).rejects.toThrow();
}, 150_000);
