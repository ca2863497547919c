/**
 * The reference project on PostgreSQL end to end, with the built CLI as a user runs it:
 * `init --warehouse postgres` into a fresh database (the sources loaded into `raw.*`), then the
 * printed next steps, validate, apply staging, promote prod, ci on a branch that changes a model,
 * check, diff, run (after new rows land in the source table), rollback and gc — each asserted on
 * its output, its exit code and what the database then holds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { json, runCli } from '../helpers/run-cli.js';

const VARIABLE = 'SLIPWAY_E2E_PG_URL';
const MERCHANTS = 'models/marts/dim_merchants.sql';

let db: TestDatabase;
let workspace: string;
let project: string;
let init: Awaited<ReturnType<typeof runCli>>;

const env = (): NodeJS.ProcessEnv => ({ [VARIABLE]: db.url, SLIPWAY_ACTOR: 'tester' });
const cli = (args: readonly string[]) => runCli(args, { cwd: project, env: env(), timeoutMs: 300_000 });

function git(...args: string[]): string {
  return execFileSync(
    'git',
    ['-C', project, '-c', 'user.name=Ada Analyst', '-c', 'user.email=ada@jkl.example', ...args],
    {
      encoding: 'utf8',
    },
  ).trim();
}

async function sql<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const columnsOf = async (schema: string, table: string): Promise<string[]> =>
  (
    await sql<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = '${schema}' and table_name = '${table}' order by ordinal_position`,
    )
  ).map((r) => r.column_name);

beforeAll(async () => {
  db = await freshDatabase('slipway_e2e');
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-pg-e2e-'));
  project = path.join(workspace, 'jkl');
  init = await runCli(['init', project, '--no-install', '--warehouse', 'postgres', '--url-env', VARIABLE], {
    cwd: workspace,
    env: env(),
    timeoutMs: 300_000,
  });
}, 300_000);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await db?.drop();
});

describe('the reference project on PostgreSQL', () => {
  it('init loads the sources into the database and points the project at it', async () => {
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(
      /rows loaded into 5 tables \(raw\.card_transactions, .*\) of the database SLIPWAY_E2E_PG_URL names/,
    );
    const config = await readFile(path.join(project, 'slipway.yaml'), 'utf8');
    expect(config).toContain(`local: { type: postgres, url_env: ${VARIABLE} }`);
    expect(config).toContain(`state: { type: postgres, url_env: ${VARIABLE} }`);
    // The template's comments survive the edit.
    expect(config).toContain('# JKL Enterprises card-fraud pipelines');
    const sources = await readFile(path.join(project, 'sources', 'card_transactions.yml'), 'utf8');
    expect(sources).toContain('table: raw.card_transactions');
    expect(sources).not.toMatch(/^\s*(files|format):/m);
    const [loaded] = await sql<{ n: number }>('select count(*)::int as n from raw.card_transactions');
    expect(loaded?.n).toBeGreaterThan(5000);
    expect(git('status', '--porcelain')).toBe('');
  });

  it('the next steps init printed work as printed', async () => {
    const steps = init.stdout
      .split('\n')
      .filter((line) => line.startsWith('  npx slipway '))
      .map((line) => line.trim());
    // With --no-install the project is told to install first; the packaged test runs that step.
    expect(init.stdout).toContain('\n  npm install\n');
    expect(steps).toEqual([
      'npx slipway validate',
      'npx slipway build --env dev',
      'npx slipway query --env dev "select severity, count(*) from fraud_alerts group by severity"',
    ]);
    const validate = await cli(['validate']);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/jkl-fraud is valid: \d+ models, 5 sources/);
    const build = await cli(['build', '--env', 'dev']);
    expect(build.code, build.stderr).toBe(0);
    const query = await cli([
      'query',
      '--env',
      'dev',
      'select severity, count(*) from fraud_alerts group by severity',
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toMatch(/│ severity │/);
    expect(query.stdout).toMatch(/critical/);
  }, 300_000);

  it('apply staging, promote prod, ci, check, diff, run, rollback, gc', async () => {
    const first = json<{
      release: { id: string };
      plan: { build: unknown[]; reuse: unknown[]; models: unknown[] };
    }>(await cli(['apply', '--env', 'staging', '--yes', '--json']));
    // `build --env dev` above built every version (a direct release): staging takes them by
    // reference, and every model is either built or reused.
    expect(first.plan.build.length + first.plan.reuse.length).toBe(first.plan.models.length);
    expect(first.plan.reuse.length).toBeGreaterThan(0);
    const promoted = await cli(['promote', 'staging', 'prod', '--json']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const promotion = json<{ release: { id: string }; plan: { build: unknown[] } }>(promoted);
    expect(promotion.plan.build).toEqual([]);
    const [prodAlerts] = await sql<{ n: number }>('select count(*)::int as n from prod.fraud_alerts');
    expect(prodAlerts?.n).toBeGreaterThan(0);

    // A pull request adds a column to a dimension nothing reads from.
    git('checkout', '-q', '-b', 'merchant-activity');
    const original = await readFile(path.join(project, MERCHANTS), 'utf8');
    await writeFile(
      path.join(project, MERCHANTS),
      original.replace(
        '  coalesce(s.txn_count, 0) as txn_count,',
        '  coalesce(s.txn_count, 0) as txn_count,\n  coalesce(s.txn_count, 0) > 0 as is_active,',
      ),
    );
    git('commit', '-q', '-am', 'Flag active merchants');
    const ci = await cli(['ci', '--base', 'main', '--json']);
    expect(ci.code, ci.stderr + ci.stdout).toBe(0);
    const report = json<{
      ciEnvironment: string;
      blocking: boolean;
      built: { model: string }[];
      diffs: { model: string; diff: { schema: { added: { name: string }[] } } }[];
    }>(ci);
    expect(report.blocking).toBe(false);
    expect(report.built.map((b) => b.model)).toEqual(['dim_merchants']);
    const merchantsDiff = report.diffs.find((d) => d.model === 'dim_merchants');
    expect(merchantsDiff?.diff.schema.added.map((c) => c.name)).toEqual(['is_active']);
    const schemas = await sql<{ nspname: string }>(
      "select nspname from pg_namespace where nspname like 'ci\\_%'",
    );
    expect(schemas).toEqual([]);
    expect(await columnsOf('prod', 'dim_merchants')).not.toContain('is_active');

    // Merged: staging gets the change, checked and compared with prod.
    git('checkout', '-q', 'main');
    git('merge', '-q', '--ff-only', 'merchant-activity');
    const second = json<{ release: { id: string }; plan: { build: { model: string }[] } }>(
      await cli(['apply', '--env', 'staging', '--yes', '--json']),
    );
    expect(second.plan.build.map((b) => b.model)).toEqual(['dim_merchants']);
    // The changed model's checks (the sources' freshness depends on the hour the data was made).
    const check = await cli(['check', '--env', 'staging', '--select', 'dim_merchants', '--json']);
    expect(check.code, check.stderr).toBe(0);
    const checked = json<{ blocking: boolean; results: { id: string; status: string }[] }>(check);
    expect(checked.blocking).toBe(false);
    expect(checked.results.map((r) => r.id)).toEqual(
      expect.arrayContaining(['dim_merchants.merchant_id.unique', 'dim_merchants.risk_tier.accepted_values']),
    );
    expect(checked.results.filter((r) => r.status !== 'pass')).toEqual([]);
    const diff = await cli(['diff', 'prod', 'staging', '--model', 'dim_merchants', '--json']);
    expect(diff.code, diff.stderr).toBe(0);
    const [merchants] = json<{
      diffs: {
        model: string;
        diff: { schema: { added: { name: string }[] }; removed: number; added: number };
      }[];
    }>(diff).diffs;
    expect(merchants?.diff.schema.added.map((c) => c.name)).toEqual(['is_active']);
    expect([merchants?.diff.added, merchants?.diff.removed]).toEqual([0, 0]);

    const again = json<{ release: { id: string }; plan: { build: unknown[] } }>(
      await cli(['promote', 'staging', 'prod', '--json']),
    );
    expect(again.plan.build).toEqual([]);
    expect(await columnsOf('prod', 'dim_merchants')).toContain('is_active');

    // The next hours of authorisations land in the source table; a run appends them once.
    await sql(`insert into raw.card_transactions
      select txn_id + 100000000, card_id, customer_id, merchant_id, device_id, amount, currency, status,
             event_ts + interval '6 hours', loaded_at + interval '6 hours', channel, country
      from raw.card_transactions
      where event_ts > (select max(event_ts) - interval '6 hours' from raw.card_transactions)`);
    const run1 = await cli(['run', '--env', 'prod', '--json']);
    expect(run1.code, run1.stderr).toBe(0);
    const added = json<{ models: { model: string; added: number }[] }>(run1).models.find(
      (m) => m.model === 'fct_transactions',
    );
    expect(added?.added).toBeGreaterThan(0);
    const run2 = json<{ models: { model: string; added: number }[] }>(
      await cli(['run', '--env', 'prod', '--json']),
    );
    expect(run2.models.find((m) => m.model === 'fct_transactions')?.added).toBe(0);

    const rollback = await cli(['rollback', '--env', 'prod', '--json']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(json<{ to: string }>(rollback).to).toBe(promotion.release.id);
    expect(await columnsOf('prod', 'dim_merchants')).not.toContain('is_active');

    const gc = await cli(['gc', '--keep', '1', '--json']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(Array.isArray(json<{ dropped: unknown[] }>(gc).dropped)).toBe(true);
    const [prodAfter] = await sql<{ n: number }>('select count(*)::int as n from prod.fraud_alerts');
    expect(prodAfter?.n).toBeGreaterThan(0);
    expect(await columnsOf('staging', 'dim_merchants')).toContain('is_active');
    const history = json<{ releases: { kind: string }[] }>(await cli(['history', '--env', 'prod', '--json']));
    expect(history.releases.map((r) => r.kind)).toEqual(['rollback', 'promote', 'promote']);
  }, 600_000);
});
