/**
 * `slipway query` (the built CLI, dist/) goes through the warehouse's read sandbox: models and
 * sources read, and each escape the issue names (files, URLs, the process environment, other
 * schemas, writes, DDL, extensions) is refused with one clear error line and exit 2.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/run-cli.js';

let workspace: string;
let project: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-query-sandbox-'));
  project = path.join(workspace, 'jkl');
  const init = await runCli(['init', project, '--scale', '0.01', '--no-install']);
  expect(init.code, init.stderr).toBe(0);
  const build = await runCli(['build', '--env', 'dev'], { cwd: project });
  expect(build.code, build.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('slipway query through the read sandbox', () => {
  it('reads models and sources of the environment, with the row cap', async () => {
    const models = await runCli(
      ['query', '--env', 'dev', 'select count(*) as n from fraud_alerts', '--json'],
      {
        cwd: project,
      },
    );
    expect(models.code, models.stderr).toBe(0);
    expect(json<{ rows: { n: number }[] }>(models).rows[0]?.n).toBeGreaterThan(0);
    const sources = await runCli(
      ['query', '--env', 'dev', 'select count(*) as n from card_transactions', '--json'],
      { cwd: project },
    );
    expect(sources.code, sources.stderr).toBe(0);
    expect(json<{ rows: { n: number }[] }>(sources).rows[0]?.n).toBeGreaterThan(0);
    const capped = await runCli(
      ['query', '--env', 'dev', 'select * from card_transactions', '--limit', '3', '--json'],
      { cwd: project },
    );
    const body = json<{ rows: unknown[]; truncated: boolean }>(capped);
    expect(body.rows).toHaveLength(3);
    expect(body.truncated).toBe(true);
  });

  const escapes: readonly [string, RegExp][] = [
    ["select * from read_csv('/etc/passwd')", /table function read_csv is not allowed/],
    ["select * from '/etc/passwd'", /reading files or URLs is not allowed/],
    ["select * from read_text('/etc/hostname')", /table function read_text is not allowed/],
    ["select getenv('HOME') as home", /function getenv is not allowed/],
    ['select * from slipway_physical.fraud_alerts', /schema slipway_physical is not readable/],
    ['select * from prod.fraud_alerts', /schema prod is not readable/],
    ['delete from fraud_alerts', /read-only SELECT/],
    ['create table x as select 1', /read-only SELECT/],
    ["attach '/tmp/other.duckdb' as other", /read-only SELECT/],
    ['install httpfs', /read-only SELECT/],
    ["copy fraud_alerts to '/tmp/out.csv'", /read-only SELECT/],
  ];

  for (const [sql, message] of escapes) {
    it(`refuses ${sql}`, async () => {
      const result = await runCli(['query', '--env', 'dev', sql], { cwd: project });
      expect(result.code, result.stdout + result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).not.toMatch(/root:/);
    });
  }
});
