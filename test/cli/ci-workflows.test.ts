/**
 * The pull-request gate `slipway init --ci github,bitbucket` writes, run as the providers would
 * run it on a fresh runner: Slipway packed (`npm pack`) and installed into an empty folder, a
 * project initialised with it (lockfile and vendored tarball committed) and pushed to a bare
 * "origin"; then, for each provider, a clean clone of a pull-request branch where the parsed
 * workflow's steps run with the provider's documented variables (GITHUB_*, BITBUCKET_*). A
 * branch that adds a column passes; a branch with a planted duplicate key fails, naming the check
 * in the JUnit report, the Markdown summary and the annotations (GitHub workflow commands;
 * Bitbucket Code Insights annotations). There is no sample-data-free path here: the project is
 * on the embedded defaults, so each runner generates sample data and compares with an empty
 * baseline, which the summary says.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestStep, runBitbucketStep, runGitHubJob, type StepResult } from '../helpers/ci-runner.js';
import { localPrebuildEnv, NPM_TEST_ENV, packSlipway } from '../helpers/packed-slipway.js';

const exec = promisify(execFile);
const CHECK = 'int_card_profile.card_id.unique';
const PROFILE = 'models/intermediate/int_card_profile.sql';
/** A runner's job installs the project (npm ci, DuckDB's native build from npm's cache) and runs the gate: no time limit beyond a generous timeout. */
const RUN_TIMEOUT_MS = 1_200_000;

let workspace: string;
let origin: string;
/** npm's settings for every install here (npm's cache first; better-sqlite3 from a local prebuild). */
let npmEnv: Readonly<Record<string, string>> = NPM_TEST_ENV;
const branches = { ok: '', dup: '' };

async function sh(cwd: string, command: string): Promise<string> {
  const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', command], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...npmEnv },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec(
    'git',
    ['-c', 'user.name=Tess Ter', '-c', 'user.email=tess@example.com', ...args],
    {
      cwd,
    },
  );
  return stdout.trim();
}

/** A branch off main changing int_card_profile.sql by `edit`; its head sha. */
async function branch(project: string, name: string, edit: (sql: string) => string): Promise<string> {
  await git(project, 'checkout', '-q', '-b', name, 'main');
  const file = path.join(project, PROFILE);
  const sql = await readFile(file, 'utf8');
  const changed = edit(sql);
  expect(changed).not.toBe(sql);
  await writeFile(file, changed);
  await git(project, 'commit', '-qam', `${name}: int_card_profile`);
  await git(project, 'push', '-q', 'origin', name);
  return git(project, 'rev-parse', 'HEAD');
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-ci-workflows-'));
  const tarball = packSlipway(workspace);
  npmEnv = { ...NPM_TEST_ENV, ...localPrebuildEnv(path.join(workspace, 'prebuilds')) };
  const work = path.join(workspace, 'work');
  await mkdir(work);
  await sh(work, `npm init -y >/dev/null && npm install --save-dev ../${tarball}`);
  await sh(work, 'npx slipway init ./jkl --scale 0.01 --ci github,bitbucket');
  const project = path.join(work, 'jkl');
  origin = path.join(workspace, 'origin.git');
  await git(workspace, 'clone', '-q', '--bare', project, origin);
  await git(project, 'remote', 'add', 'origin', origin);
  await git(project, 'fetch', '-q', 'origin');
  // A change that passes: one more column on the card profile.
  branches.ok = await branch(project, 'feature/max-amount', (sql) =>
    sql.replace('max(event_ts) as last_txn_ts', 'max(event_ts) as last_txn_ts,\n  max(amount) as max_amount'),
  );
  // A planted duplicate key: grouping by device as well repeats card_id for cards used on two devices.
  branches.dup = await branch(project, 'feature/by-device', (sql) =>
    sql.replace(/group by card_id\s*$/, 'group by card_id, device_id\n'),
  );
}, 2_400_000);

afterAll(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

/** A Markdown report as read: backslash escapes removed. */
function unescapeMarkdown(text: string): string {
  return text.replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1');
}

function step(results: readonly StepResult[], name: string): StepResult {
  const found = results.find((r) => r.name === name);
  if (!found) throw new Error(`no step '${name}' in ${results.map((r) => r.name).join(', ')}`);
  return found;
}

/** A fresh GitHub runner on pull request `head` into main: actions/checkout with fetch-depth 0. */
async function githubRun(name: string, head: string) {
  const runner = await mkdtemp(path.join(workspace, `gh-${name.replace('/', '-')}-`));
  const checkout = path.join(runner, 'work');
  await git(runner, 'clone', '-q', origin, checkout);
  await git(checkout, 'checkout', '-q', '--detach', head);
  const summary = path.join(runner, 'step-summary.md');
  await writeFile(summary, '');
  const temp = path.join(runner, 'temp');
  await mkdir(temp);
  const workflow = await readFile(path.join(checkout, '.github/workflows/slipway.yml'), 'utf8');
  const steps = await runGitHubJob(workflow, {
    job: 'gate',
    workspace: checkout,
    // GitHub's documented default variables for a pull_request event.
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: checkout,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_BASE_REF: 'main',
      GITHUB_HEAD_REF: name,
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_SHA: head,
      GITHUB_REPOSITORY: 'jkl/fraud-pipelines',
      GITHUB_RUN_ID: '1',
      RUNNER_OS: 'Linux',
      RUNNER_TEMP: temp,
      ...npmEnv,
    },
    expressions: {
      'github.event.repository.default_branch': 'main',
      'github.head_ref': name,
      'github.ref': 'refs/pull/7/merge',
    },
  });
  return { steps, checkout, summary: await readFile(summary, 'utf8') };
}

/** A stand-in for the Bitbucket Pipelines proxy in front of the Code Insights API (reports and annotations): it records each request as the proxy forwards it (absolute-form URL) and answers as the API does. */
async function insightsProxy(): Promise<{
  url: string;
  requests: { method: string; url: string; body: unknown }[];
  close: () => Promise<void>;
}> {
  const requests: { method: string; url: string; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const parsed = JSON.parse(body) as unknown;
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: parsed });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(parsed));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A fresh Bitbucket runner on pull request `head` into main: the branch cloned alone, as Pipelines clones it. */
async function bitbucketRun(name: string, head: string) {
  const runner = await mkdtemp(path.join(workspace, `bb-${name.replace('/', '-')}-`));
  const clone = path.join(runner, 'build');
  await git(runner, 'clone', '-q', '--single-branch', '--branch', name, origin, clone);
  const proxy = await insightsProxy();
  try {
    const pipeline = await readFile(path.join(clone, 'bitbucket-pipelines.yml'), 'utf8');
    const result = await runBitbucketStep(pullRequestStep(pipeline), {
      cloneDir: clone,
      // Bitbucket's documented default variables for a pull-request pipeline.
      env: {
        BITBUCKET_CLONE_DIR: clone,
        BITBUCKET_BRANCH: name,
        BITBUCKET_COMMIT: head,
        BITBUCKET_PR_ID: '7',
        BITBUCKET_PR_DESTINATION_BRANCH: 'main',
        BITBUCKET_REPO_FULL_NAME: 'jkl/fraud-pipelines',
        BITBUCKET_WORKSPACE: 'jkl',
        BITBUCKET_REPO_SLUG: 'fraud-pipelines',
        BITBUCKET_BUILD_NUMBER: '1',
        SLIPWAY_PIPELINES_PROXY: proxy.url,
        ...npmEnv,
      },
    });
    return { ...result, clone, requests: proxy.requests };
  } finally {
    await proxy.close();
  }
}

describe('the GitHub workflow on a fresh runner', () => {
  it(
    'passes a good change: lockfile install, project tests, slipway test and ci, with the empty baseline said in the summary',
    async () => {
      const { steps, checkout, summary } = await githubRun('feature/max-amount', branches.ok);
      expect(steps.filter((s) => s.uses).map((s) => s.uses)).toEqual([
        'actions/checkout@v4',
        'actions/setup-node@v4',
        'actions/upload-artifact@v4',
      ]);
      for (const s of steps.filter((r) => !r.uses))
        expect(s.outcome, `${s.name}\n${s.stderr.slice(-3000)}`).toBe('success');
      expect(
        step(steps, 'Install (from the lockfile)').stderr + step(steps, 'Install (from the lockfile)').stdout,
      ).toMatch(/added \d+ packages/);
      expect(step(steps, 'Project tests').stdout).toMatch(/Tests\s+\d+ passed/);
      expect(step(steps, 'SQL unit tests').stdout).toMatch(/8 passed, 0 failed/);
      expect(summary).toContain('No shared state store: this runner cannot see prod.');
      expect(summary).toContain('against an empty baseline');
      expect(summary).toMatch(/## jkl-fraud · ci\\?_\w+ against prod/);
      expect(summary).not.toContain('Blocking problems');
      expect(unescapeMarkdown(summary)).toContain('int_card_profile');
      const junit = await readFile(path.join(checkout, 'reports/slipway.xml'), 'utf8');
      expect(junit).toContain(`<testcase name="${CHECK}"`);
      expect(junit).not.toContain('<failure');
      expect(step(steps, 'Slipway CI (plan, build changed models, checks, data diff)').stdout).not.toContain(
        '::error',
      );
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'fails on a planted duplicate key, naming the check in the JUnit report, the job summary and the annotations',
    async () => {
      const { steps, checkout, summary } = await githubRun('feature/by-device', branches.dup);
      const ci = step(steps, 'Slipway CI (plan, build changed models, checks, data diff)');
      expect(ci.outcome).toBe('failure');
      expect(step(steps, 'SQL unit tests').outcome).toBe('success');
      // The summary step runs after the failure (if: always()).
      expect(step(steps, 'Job summary').outcome).toBe('success');
      const junit = await readFile(path.join(checkout, 'reports/slipway.xml'), 'utf8');
      const testcase = junit.slice(junit.indexOf(`<testcase name="${CHECK}"`));
      expect(testcase.slice(0, testcase.indexOf('</testcase>'))).toContain('<failure');
      expect(summary).toContain('Blocking problems');
      expect(unescapeMarkdown(summary)).toContain(CHECK);
      const annotation = ci.stdout.split('\n').find((l) => l.startsWith('::error') && l.includes(CHECK));
      expect(annotation, ci.stdout.slice(-3000)).toMatch(
        new RegExp(`^::error file=${PROFILE.replaceAll('.', '\\.')},line=\\d+`),
      );
      expect(existsSync(path.join(checkout, 'data'))).toBe(true);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('the Bitbucket pipeline on a fresh runner', () => {
  it(
    'passes a good change against the destination branch and uploads a passing Code Insights report',
    async () => {
      const { script, afterScript, clone, requests } = await bitbucketRun('feature/max-amount', branches.ok);
      expect(script.outcome, script.stderr.slice(-3000)).toBe('success');
      expect(afterScript.outcome, afterScript.stderr).toBe('success');
      expect(script.stdout).toMatch(/compared with origin\/main/);
      expect(script.stdout).toContain('No shared state store: this runner cannot see prod.');
      const junit = await readFile(path.join(clone, 'test-results/slipway.xml'), 'utf8');
      expect(junit).toContain(`<testcase name="${CHECK}"`);
      expect(junit).not.toContain('<failure');
      const report = requests.find((r) => r.method === 'PUT');
      expect(report?.url).toBe(
        `http://api.bitbucket.org/2.0/repositories/jkl/fraud-pipelines/commit/${branches.ok}/reports/slipway`,
      );
      expect(report?.body).toMatchObject({ result: 'PASSED' });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'fails on a planted duplicate key, naming the check in the JUnit report, the Markdown report and the Code Insights annotations',
    async () => {
      const { script, afterScript, clone, requests } = await bitbucketRun('feature/by-device', branches.dup);
      expect(script.outcome).toBe('failure');
      expect(afterScript.outcome, afterScript.stderr).toBe('success');
      const junit = await readFile(path.join(clone, 'test-results/slipway.xml'), 'utf8');
      const testcase = junit.slice(junit.indexOf(`<testcase name="${CHECK}"`));
      expect(testcase.slice(0, testcase.indexOf('</testcase>'))).toContain('<failure');
      const markdown = await readFile(path.join(clone, 'reports/slipway.md'), 'utf8');
      expect(unescapeMarkdown(markdown)).toContain(CHECK);
      const report = requests.find((r) => r.method === 'PUT');
      expect(report?.body).toMatchObject({ result: 'FAILED' });
      const annotations = requests.find((r) => r.method === 'POST');
      expect(annotations?.url).toBe(
        `http://api.bitbucket.org/2.0/repositories/jkl/fraud-pipelines/commit/${branches.dup}/reports/slipway/annotations`,
      );
      const named = (
        (annotations?.body ?? []) as { summary?: string; path?: string; result?: string }[]
      ).find((a) => a.summary?.includes(CHECK));
      expect(named).toMatchObject({ path: PROFILE, result: 'FAILED' });
    },
    RUN_TIMEOUT_MS,
  );
});
