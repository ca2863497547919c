/**
 * `slipway ci` end to end, as a pull request runs it: the reference project in a real git
 * repository with prod released, then branches — one that breaks a model (a duplicate key), one
 * that only changes a comment, one that adds a column — each checked with the built CLI against
 * real DuckDB. Prod must come out of every run exactly as it went in, and the ci_ schema gone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { json, runCli } from '../helpers/run-cli.js';

interface CiJson {
  readonly ciEnvironment: string;
  readonly blocking: boolean;
  readonly blockers: readonly string[];
  readonly baseline: { readonly releaseId: string | null; readonly neverReleased: boolean };
  readonly built: readonly { model: string; table: string; status: string }[];
  readonly reused: readonly string[];
  readonly checked: readonly string[];
  readonly checks: readonly { id: string; status: string }[];
  readonly diffs: readonly {
    model: string;
    diff: { schema: { added: readonly { name: string }[] }; changed: number };
  }[];
  readonly dropped: readonly string[];
}

let workspace: string;
let project: string;
let reports: string;
let before: WarehouseView;

const env = { SLIPWAY_ACTOR: 'ci-bot' };

function git(...args: string[]): string {
  return execFileSync(
    'git',
    ['-C', project, '-c', 'user.name=Ada Analyst', '-c', 'user.email=ada@jkl.example', ...args],
    { encoding: 'utf8' },
  ).trim();
}

/** Rewrites a model's SELECT (the part after its header comment). */
async function editModel(file: string, edit: (body: string) => string): Promise<void> {
  const full = path.join(project, file);
  const text = await readFile(full, 'utf8');
  const end = text.indexOf('*/') + 2;
  await writeFile(full, `${text.slice(0, end)}\n${edit(text.slice(end).trim())}\n`);
}

/**
 * Reads the warehouse file itself, read-only, between commands: the snapshot reads DuckDB's
 * catalog (views' SQL, other schemas), which `slipway query`'s read sandbox rightly refuses.
 */
async function query(sql: string): Promise<readonly Record<string, unknown>[]> {
  const warehouse = createDuckDbWarehouse({
    path: path.join(project, '.slipway', 'warehouse.duckdb'),
    readOnly: true,
  });
  try {
    return (await warehouse.query(sql)).rows;
  } finally {
    await warehouse.close();
  }
}

interface WarehouseView {
  /** Prod as a reader sees it: its release, its views' definitions and a digest of its data. */
  readonly prod: string;
  readonly ciSchemas: readonly string[];
  readonly physical: readonly string[];
}

/** Everything the tests compare, in two commands (each CLI start costs). */
async function snapshot(): Promise<WarehouseView> {
  const status = json<{ environments: { release: { id: string } }[] }>(
    await runCli(['status', '--env', 'prod', '--json'], { cwd: project, env }),
  );
  const [row] = await query(
    `select
       (select list(view_name || ': ' || sql order by view_name) from duckdb_views() where schema_name = 'prod') as views,
       (select md5(string_agg(m::varchar, '|' order by merchant_id)) from prod.dim_merchants m) as merchants,
       (select md5(string_agg(a::varchar, '|' order by alert_id)) from prod.fraud_alerts a) as alerts,
       (select count(*) from prod.fct_transactions) as transactions,
       (select coalesce(list(schema_name), []) from information_schema.schemata where schema_name like 'ci%') as ci_schemas,
       (select list(table_name order by table_name) from information_schema.tables where table_schema = 'slipway_physical') as physical`,
  );
  const { ci_schemas, physical, ...prod } = row ?? {};
  return {
    prod: JSON.stringify({ release: status.environments[0]?.release.id, ...prod }),
    ciSchemas: ci_schemas as string[],
    physical: physical as string[],
  };
}

/** The newest `ci` event in the state store's audit log. */
function lastCiEvent(): { environment: string; actor: string; data: Record<string, unknown> } {
  const db = new Database(path.join(project, '.slipway', 'state.db'), { readonly: true });
  try {
    const row = db
      .prepare("select environment, actor, data from events where type = 'ci' order by seq desc limit 1")
      .get() as { environment: string; actor: string; data: string };
    return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-ci-'));
  project = path.join(workspace, 'jkl');
  reports = path.join(workspace, 'reports');
  const init = await runCli(['init', project, '--scale', '0.02', '--no-install'], { env });
  expect(init.code, init.stderr).toBe(0);
  const apply = await runCli(['apply', '--env', 'prod', '--yes'], { cwd: project, env });
  expect(apply.code, apply.stderr).toBe(0);
  before = await snapshot();
}, 180_000);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('slipway ci', () => {
  it('fails a branch with a duplicate key: reports name the check, its rows, file and line; prod untouched', async () => {
    git('checkout', '-q', '-b', 'broken', 'main');
    await editModel(
      'models/marts/dim_merchants.sql',
      (body) =>
        `with merchants as (\n${body}\n)\nselect * from merchants\nunion all\n(select * from merchants order by merchant_id limit 1)`,
    );
    git('commit', '-q', '-am', 'dim_merchants: repeat one merchant');

    const result = await runCli(
      [
        'ci',
        '--base',
        'main',
        '--junit',
        path.join(reports, 'broken.xml'),
        '--markdown',
        path.join(reports, 'broken.md'),
        '--annotations',
        'github',
      ],
      { cwd: project, env },
    );
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toMatch(/1 blocking problem: check dim_merchants\.merchant_id\.unique failed/);

    const markdown = await readFile(path.join(reports, 'broken.md'), 'utf8');
    expect(markdown).toContain('Blocking problems');
    expect(markdown).toMatch(
      /❌ \*\*dim\\_merchants\.merchant\\_id\.unique\*\* \(unique, error\) — `models\/marts\/dim_merchants\.sql:7`/,
    );
    expect(markdown).toMatch(/\| merchant\\_id \| duplicate\\_count \|\n\|---\|---\|\n\| \d+ \| 2 \|/);
    expect(markdown).toContain('dim\\_merchants: repeat one merchant'); // the commit, under Changes

    const junit = await readFile(path.join(reports, 'broken.xml'), 'utf8');
    expect(junit.match(/<failure /g)).toHaveLength(1);
    expect(junit).toMatch(
      /<testcase name="dim_merchants\.merchant_id\.unique"[^>]*line="7"[^>]*>\s*<failure /,
    );
    expect(junit).toMatch(/<testsuites [^>]*failures="1" errors="0"/);

    const annotations = result.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toEqual([
      expect.stringMatching(
        /^::error file=models\/marts\/dim_merchants\.sql,line=7,col=\d+,title=check dim_merchants\.merchant_id\.unique::2 rows of \d+ carry a repeated merchant_id \(1 value repeated\)/,
      ),
    ]);

    // Prod as it was; no ci_ schema; the tables built for the run are gone.
    expect(await snapshot()).toEqual(before);
    const event = lastCiEvent();
    expect(event).toMatchObject({
      environment: `ci_${git('rev-parse', 'HEAD').slice(0, 8)}`,
      actor: 'ci-bot',
    });
    expect(event.data).toMatchObject({
      against: 'prod',
      base: 'main',
      blocking: true,
      blockers: ['check dim_merchants.merchant_id.unique failed'],
      kept: false,
    });
  });

  it('fails a branch whose model does not build, at the model file; downstream skipped, nothing left behind', async () => {
    git('checkout', '-q', '-b', 'no-build', 'main');
    await editModel('models/intermediate/int_merchant_stats.sql', (body) =>
      body.replace('count(*) as txn_count', "count(*) + (merchant_id::varchar || 'x')::integer as txn_count"),
    );
    git('commit', '-q', '-am', 'int_merchant_stats: a cast that fails');

    const result = await runCli(['ci', '--base', 'main', '--annotations', 'github', '--json'], {
      cwd: project,
      env,
    });
    expect(result.code, result.stderr).toBe(1);
    // Annotations come first on stdout (GitHub reads them there), then the JSON document.
    const ci = JSON.parse(result.stdout.replace(/^::.*\n/gm, '')) as CiJson;
    expect(ci.built.find((b) => b.model === 'int_merchant_stats')?.status).toBe('failed');
    expect(ci.built.find((b) => b.model === 'dim_merchants')?.status).toBe('skipped');
    expect(ci.blockers).toEqual(['model int_merchant_stats did not build']);
    // The annotation is on the line of the failing expression (the engine's LINE, mapped to the file).
    const file = 'models/intermediate/int_merchant_stats.sql';
    const lines = (await readFile(path.join(project, file), 'utf8')).split('\n');
    const line = lines.findIndex((l) => l.includes("|| 'x')::integer")) + 1;
    expect(result.stdout).toMatch(
      new RegExp(
        `^::error file=${file},line=${line},title=model int_merchant_stats did not build::Conversion Error`,
        'm',
      ),
    );
    expect(await snapshot()).toEqual(before);
  });

  it('passes a comment-only change without building anything', async () => {
    git('checkout', '-q', '-b', 'comment', 'main');
    await editModel('models/marts/fraud_alerts.sql', (body) => `-- reviewed by fraud-ops\n${body}`);
    git('commit', '-q', '-am', 'fraud_alerts: a comment');

    const result = await runCli(['ci', '--base', 'main', '--json'], { cwd: project, env });
    expect(result.code, result.stderr).toBe(0);
    const ci = json<CiJson>(result);
    expect(ci.blocking).toBe(false);
    expect(ci.baseline.neverReleased).toBe(false);
    expect(ci.built).toEqual([]);
    expect(ci.diffs).toEqual([]);
    // The edited file's checks still run (a new check must be seen), on prod's own table.
    expect(ci.checked).toEqual(['fraud_alerts']);
    expect(ci.checks.filter((c) => c.status === 'fail')).toEqual([]);

    // Against an environment never released: said so, everything new (here: prod's tables reused).
    const staging = await runCli(['ci', '--base', 'main', '--env', 'staging'], { cwd: project, env });
    expect(staging.code, staging.stderr).toBe(0);
    expect(staging.stdout).toContain('staging has never been released: every model is new');
    expect(staging.stdout).toMatch(
      /ci_\w+: built 0 models, 0 read staging's own tables, 24 tables built earlier reused/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it('passes a non-breaking column addition, building only that model and reusing the rest', async () => {
    git('checkout', '-q', '-b', 'new-column', 'main');
    await editModel('models/marts/fraud_alerts.sql', (body) =>
      body.replace(
        '  loaded_at as created_at\n',
        '  loaded_at as created_at,\n  score >= 80 as is_critical\n',
      ),
    );
    git('commit', '-q', '-am', 'fraud_alerts: is_critical');

    const result = await runCli(
      ['ci', '--base', 'main', '--json', '--markdown', path.join(reports, 'ok.md')],
      {
        cwd: project,
        env,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const ci = json<CiJson>(result);
    expect(ci.blocking).toBe(false);
    // Only fraud_alerts is built; its downstream tables keep prod's (non-breaking).
    expect(ci.built.map((b) => [b.model, b.status])).toEqual([['fraud_alerts', 'built']]);
    expect(before.physical).not.toContain(ci.built[0]?.table);
    expect(ci.reused).toEqual(expect.arrayContaining(['customer_risk_scores', 'daily_merchant_report']));
    expect(ci.reused).toHaveLength(23);
    const diff = ci.diffs.find((d) => d.model === 'fraud_alerts')?.diff;
    expect(diff?.schema.added.map((c) => c.name)).toEqual(['is_critical']);
    expect(diff?.changed).toBe(0);
    expect(ci.dropped).toEqual([ci.built[0]?.table]);
    expect(await readFile(path.join(reports, 'ok.md'), 'utf8')).toContain('Nothing blocks this change');

    expect(await snapshot()).toEqual(before);
  });
});
