/**
 * The built CLI end to end on a small generated reference project: test, check (passing, then a
 * deliberately broken model with a duplicate key), diff, init --ci, and the bad-input errors.
 * Needs `npm run build` (scripts/test.sh builds before running vitest).
 */
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve('bin/slipway.js');
let root: string;
let dir: string;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function slipway(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  await access(path.resolve('dist/cli/bin.js'));
  root = await mkdtemp(path.join(tmpdir(), 'slipway-quality-'));
  dir = path.join(root, 'jkl');
  await mkdir(dir);
  const init = await slipway(
    'init',
    dir,
    '--scale',
    '0.02',
    '--no-git',
    '--no-install',
    '--ci',
    'github,bitbucket',
  );
  expect(init.stderr).not.toContain('error');
  expect((await slipway('build', '--env', 'dev')).code).toBe(0);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('slipway test / check / diff on the reference project', () => {
  it('init --ci wrote the GitHub and Bitbucket pipelines', async () => {
    const workflow = await readFile(path.join(dir, '.github/workflows/slipway.yml'), 'utf8');
    expect(workflow).toContain('slipway ci --base');
    expect(workflow).toContain('required');
    const pipelines = await readFile(path.join(dir, 'bitbucket-pipelines.yml'), 'utf8');
    expect(pipelines).toContain('pull-requests:');
  });

  it('slipway test runs the 8 unit tests and writes JUnit', async () => {
    const result = await slipway('test', '--junit', 'reports/unit.xml');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/8 passed, 0 failed, 0 errors .*tests\/s/);
    const xml = await readFile(path.join(dir, 'reports/unit.xml'), 'utf8');
    expect(xml).toContain('<testsuite name="slipway.unit_tests" tests="8" failures="0"');
  });

  it('slipway check passes on the marts, then fails on a duplicate key with samples, JUnit and annotations', async () => {
    const ok = await slipway('check', '--env', 'dev', '--select', 'tag:marts', '--json');
    expect(ok.code).toBe(0);
    const body = JSON.parse(ok.stdout) as { blocking: boolean; results: { status: string }[] };
    expect(body.blocking).toBe(false);
    expect(body.results.length).toBeGreaterThan(20);

    const file = path.join(dir, 'models/marts/fraud_alerts.sql');
    const sql = await readFile(file, 'utf8');
    await writeFile(
      file,
      sql.replace("'ALR-' || txn_id::VARCHAR as alert_id", "'ALR-' || (txn_id % 50)::VARCHAR as alert_id"),
    );
    expect((await slipway('build', '--env', 'staging')).code).toBe(0);
    const bad = await slipway(
      'check',
      '--env',
      'staging',
      '--select',
      'fraud_alerts',
      '--junit',
      'reports/checks.xml',
      '--markdown',
      'reports/checks.md',
      '--annotations',
      'github',
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAIL fraud_alerts.alert_id.unique models/marts/fraud_alerts.sql:11:');
    expect(bad.stdout).toContain('::error file=models/marts/fraud_alerts.sql,line=11,');
    const md = await readFile(path.join(dir, 'reports/checks.md'), 'utf8');
    expect(md).toContain('fraud\\_alerts.alert\\_id.unique');
    expect(md).toContain('duplicate\\_count');
    const xml = await readFile(path.join(dir, 'reports/checks.xml'), 'utf8');
    expect(xml).toMatch(/<testsuite name="slipway.checks" tests="\d+" failures="1" errors="0"/);

    const diff = await slipway(
      'diff',
      'dev',
      'staging',
      '--model',
      'fraud_alerts',
      '--key',
      'txn_id',
      '--json',
    );
    expect(diff.code).toBe(0);
    const d = (
      JSON.parse(diff.stdout) as {
        diffs: { diff: { changed: number; added: number; columns: { name: string; changed: number }[] } }[];
      }
    ).diffs[0]?.diff;
    expect(d?.added).toBe(0);
    expect(d?.changed).toBeGreaterThan(0);
    expect(d?.columns.find((c) => c.name === 'alert_id')?.changed).toBe(d?.changed);
  });

  it('bad input: a fixture missing a column the model reads, a check on an unknown column (exit 2, file:line)', async () => {
    await writeFile(
      path.join(dir, 'tests/broken.yml'),
      `tests:
  - name: fixture_without_amount
    model: int_merchant_risk
    inputs:
      int_merchant_stats:
        rows:
          - { merchant_id: 1, approved_count: 10 }
    expect:
      rows: []
`,
    );
    const test = await slipway('test', '--select', 'fixture_without_amount');
    expect(test.code).toBe(2);
    expect(test.stderr).toContain('tests/broken.yml:2:');
    expect(test.stderr).toContain('fraud_chargeback_count');
    await rm(path.join(dir, 'tests/broken.yml'));

    const source = path.join(dir, 'sources/devices.yml');
    const yml = await readFile(source, 'utf8');
    await writeFile(
      source,
      yml.replace(
        '      - name: first_seen_ts',
        '      - name: no_such_column\n        checks: [not_null]\n      - name: first_seen_ts',
      ),
    );
    const check = await slipway('check', '--env', 'dev', '--select', 'devices');
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(
      /sources\/devices\.yml:\d+:\d+: error: check devices\.no_such_column\.not_null: devices has no column 'no_such_column'/,
    );
  });
});
