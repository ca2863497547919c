/**
 * The CLI end to end on the JKL reference project, as a new user runs it: init, validate, build,
 * query, selectors, a failing model, and a broken project.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/run-cli.js';

interface BuildJson {
  readonly switched: boolean;
  readonly models: readonly {
    name: string;
    kind: string;
    status: string;
    rows: number | null;
    error: string | null;
  }[];
}

let workspace: string;
let project: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-cli-'));
  project = path.join(workspace, 'jkl');
  const init = await runCli(['init', project, '--scale', '0.01', '--no-install']);
  expect(init.code, init.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('slipway on the reference project', () => {
  it('init scaffolds the template with data and a git repository', () => {
    for (const file of [
      'slipway.yaml',
      'sources',
      'models/marts/fraud_alerts.sql',
      'tests',
      '.git',
      'data/card_transactions',
    ]) {
      expect(existsSync(path.join(project, file)), file).toBe(true);
    }
  });

  it('init refuses a folder that is not empty', async () => {
    const result = await runCli(['init', project, '--no-install']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not empty/);
  });

  it('validate summarises the project', async () => {
    const result = await runCli(['validate', '--json'], { cwd: project });
    expect(result.code, result.stderr).toBe(0);
    const summary = json<{ models: number; sources: number; checks: number; unitTests: number }>(result);
    expect(summary.models).toBeGreaterThanOrEqual(20);
    expect(summary.sources).toBe(5);
    expect(summary.checks).toBeGreaterThan(20);
    expect(summary.unitTests).toBeGreaterThanOrEqual(6);
  });

  it('build builds every model, then query reads the environment', async () => {
    const result = await runCli(['build', '--env', 'dev', '--json'], { cwd: project });
    expect(result.code, result.stderr).toBe(0);
    const build = json<BuildJson>(result);
    expect(build.switched).toBe(true);
    expect(build.models.length).toBeGreaterThanOrEqual(20);
    expect(build.models.filter((m) => m.status !== 'built')).toEqual([]);
    for (const m of build.models.filter((m) => m.kind !== 'view')) expect(m.rows, m.name).toBeGreaterThan(0);

    const query = await runCli(
      ['query', '--env', 'dev', 'select count(*) as n from fraud_alerts', '--json'],
      { cwd: project },
    );
    expect(query.code, query.stderr).toBe(0);
    const n = json<{ rows: { n: number }[] }>(query).rows[0]?.n ?? 0;
    // Planted fraud at scale 0.01 (~10k transactions) yields a few hundred alerts, not zero, not all.
    expect(n).toBeGreaterThan(20);
    expect(n).toBeLessThan(2000);
    const built = build.models.find((m) => m.name === 'fraud_alerts');
    expect(built?.rows).toBe(n);
  });

  it('query prints a table, refuses writes and unknown environments', async () => {
    const table = await runCli(
      ['query', '--env', 'dev', 'select severity, count(*) as n from fraud_alerts group by 1 order by 1'],
      {
        cwd: project,
      },
    );
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/│ severity │/);
    expect(table.stdout).toMatch(/critical/);

    const write = await runCli(['query', '--env', 'dev', 'delete from fraud_alerts'], { cwd: project });
    expect(write.code).toBe(2);
    expect(write.stderr).toMatch(/read-only SELECT/);

    const unknown = await runCli(['query', '--env', 'dve', 'select 1'], { cwd: project });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown environment 'dve'[\s\S]*did you mean 'dev'/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });

  it('--select builds a model and everything downstream of it only', async () => {
    const result = await runCli(['build', '--env', 'dev', '--select', 'fraud_alerts+', '--json'], {
      cwd: project,
    });
    expect(result.code, result.stderr).toBe(0);
    const names = json<BuildJson>(result).models.map((m) => m.name);
    expect(names[0]).toBe('fraud_alerts');
    expect(names).toContain('daily_merchant_report');
    expect(names).not.toContain('stg_transactions');

    const bad = await runCli(['build', '--env', 'dev', '--select', 'fraud_alert'], { cwd: project });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/did you mean 'fraud_alerts'/);
  });

  it('a model failing in the warehouse skips its downstream and leaves the environment as it was', async () => {
    const before = await runCli(
      ['query', '--env', 'dev', 'select count(*) as n from daily_merchant_report', '--json'],
      {
        cwd: project,
      },
    );
    const file = path.join(project, 'models/marts/fraud_alerts.sql');
    const original = await readFile(file, 'utf8');
    try {
      // Valid SQL that fails when it runs: a column that does not exist.
      await writeFile(file, original.replace(/\nfrom scored/, ',\n  no_such_column\nfrom scored'));
      const result = await runCli(['build', '--env', 'dev', '--json'], { cwd: project });
      expect(result.code).toBe(1);
      const build = json<BuildJson>(result);
      expect(build.switched).toBe(false);
      const byName = new Map(build.models.map((m) => [m.name, m]));
      expect(byName.get('fraud_alerts')?.status).toBe('failed');
      expect(byName.get('fraud_alerts')?.error).toMatch(/no_such_column/);
      expect(byName.get('daily_merchant_report')?.status).toBe('skipped');
      expect(byName.get('customer_risk_scores')?.status).toBe('skipped');
      expect(byName.get('daily_region_report')?.status).toBe('built');
    } finally {
      await writeFile(file, original);
    }
    const after = await runCli(
      ['query', '--env', 'dev', 'select count(*) as n from daily_merchant_report', '--json'],
      {
        cwd: project,
      },
    );
    expect(after.stdout).toBe(before.stdout);
  });

  it('generate appends the next day of data that the next build picks up', async () => {
    const before = json<{ rows: { n: number }[] }>(
      await runCli(['query', '--env', 'dev', 'select count(*) as n from fct_transactions', '--json'], {
        cwd: project,
      }),
    ).rows[0]?.n;
    const slice = await runCli(['generate', '--slice', '1', '--json'], { cwd: project });
    expect(slice.code, slice.stderr).toBe(0);
    const added = json<{ counts: { card_transactions: number } }>(slice).counts.card_transactions;
    expect(added).toBeGreaterThan(0);
    expect((await runCli(['build', '--env', 'dev'], { cwd: project })).code).toBe(0);
    const after = json<{ rows: { n: number }[] }>(
      await runCli(['query', '--env', 'dev', 'select count(*) as n from fct_transactions', '--json'], {
        cwd: project,
      }),
    ).rows[0]?.n;
    expect(after).toBe((before ?? 0) + added);
  });
});
