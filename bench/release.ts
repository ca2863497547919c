/**
 * bench/release: a generated 200-model project (the reference project's 5 staging views, then
 * 15 fan-out roots over the transactions, each the head of a 13-model chain of tables and views)
 * over the reference data at scale 1. Measured in one run, on fresh files:
 *
 * - the full first release (every model built) to staging;
 * - a one-model change to a leaf, released to staging, as a ratio of the full release (≤ 0.05);
 * - the switch re-pointing all 200 views (p50 / p99 over 200 switches; target p99 ≤ 50 ms),
 *   against re-creating every view in one transaction, side by side;
 * - rollback (target ≤ 100 ms) and promote with nothing to rebuild (target ≤ 200 ms), each the
 *   whole call (recovery check, plan, state records, switch), p50 / p99.
 *
 * On PostgreSQL (`--engine postgres`) the same project runs in a fresh database on the server
 * `SLIPWAY_BENCH_PG_URL` (else `SLIPWAY_TEST_PG_URL`) names, dropped at the end: the reference
 * sources are loaded into tables (`raw.*`, as `slipway init --warehouse postgres` does: file
 * sources are refused there), the state store lives in the same database (as init configures it),
 * and both are opened by the composition root from the project's `slipway.yaml`. Targets there:
 * switch p99 ≤ 100 ms, rollback ≤ 200 ms, promote with nothing to rebuild ≤ 300 ms.
 *
 *   npx tsx bench/release.ts                     # DuckDB, scale 1
 *   npx tsx bench/release.ts 0.1                 # another scale
 *   npx tsx bench/release.ts --engine postgres   # PostgreSQL, scale 1
 */
import { cp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStateStore } from '../src/app/open-state.js';
import { openWarehouse } from '../src/app/open-warehouse.js';
import { moveReferenceProjectToPostgres, openSeedDatabase } from '../src/app/postgres-reference-project.js';
import { generateData } from '../src/cli/commands/generate-action.js';
import type { EnvironmentModels } from '../src/core/release.js';
import { fingerprintProject } from '../src/project/fingerprint.js';
import { loadProject } from '../src/project/load-project.js';
import type { Project } from '../src/project/project.js';
import { applyRelease } from '../src/release/apply-release.js';
import type { ReleaseServices } from '../src/release/execute-release.js';
import { PHYSICAL_SCHEMA, physicalTable } from '../src/release/physical-layout.js';
import { promoteRelease, rollbackRelease } from '../src/release/promote-release.js';
import { openSqliteStateStore } from '../src/state/sqlite/sqlite-state-store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createTelemetry } from '../src/telemetry/tracer.js';
import { createDuckDbSqlParser } from '../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../src/warehouse/warehouse.js';
import { type BenchDatabase, createBenchDatabase } from './postgres-bench-database.js';

const { values: options, positionals } = parseArgs({
  options: { engine: { type: 'string', default: 'duckdb' } },
  allowPositionals: true,
});
if (options.engine !== 'duckdb' && options.engine !== 'postgres') {
  console.error(`--engine must be duckdb or postgres, not ${options.engine}`);
  process.exit(2);
}
const engine = options.engine;
const root = path.resolve(import.meta.dirname, '..');
const scale = Number(positionals[0] ?? 1) || 1;
const out = path.join(root, 'bench', '.out', `release-${scale}`);
const reference = path.join(root, 'examples', 'jkl-fraud');
const ROOTS = 15;
const CHAIN = 13;
const SWITCH_ROUNDS = 20;
/** Full re-points measured (and baseline re-creations): enough that p99 is not just the slowest one. */
const FULL_SWITCHES = 200;
/** The variable the PostgreSQL project's slipway.yaml names for its connection and state. */
const PG_URL_ENV = 'SLIPWAY_BENCH_RELEASE_URL';
/** p99 targets (ms): DuckDB's, and PostgreSQL's (a server a round trip away, state in it too). */
const TARGETS = {
  duckdb: { switch: 50, rollback: 100, promote: 200 },
  postgres: { switch: 100, rollback: 200, promote: 300 },
}[engine];

const dimensions = [
  'customer_id',
  'card_id',
  'merchant_id',
  'device_id',
  'country',
  'channel',
  'currency',
  'status',
];

function generatedModels(leafVariant: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let r = 0; r < ROOTS; r++) {
    const dim = dimensions[r % dimensions.length] as string;
    files[`models/gen/root_${r}.sql`] =
      `/* @slipway\nkind: table\n*/\nselect ${dim} as k, count(*) as n, sum(amount) as amount, max(event_ts) as last_ts\n` +
      `from stg_transactions where txn_id % ${ROOTS} = ${r} group by ${dim}\n`;
    for (let c = 1; c < CHAIN; c++) {
      const parent = c === 1 ? `root_${r}` : `chain_${r}_${c - 1}`;
      const kind = c % 3 === 0 ? 'view' : 'table';
      const leaf = r === 0 && c === CHAIN - 1;
      const factor = leaf ? 1 + leafVariant / 100 : 1;
      files[`models/gen/chain_${r}_${c}.sql`] =
        `/* @slipway\nkind: ${kind}\n*/\nselect k, n + ${c} as n, amount * ${factor} as amount, last_ts from ${parent}${
          c % 4 === 0 ? ' where n > 0' : ''
        }\n`;
    }
  }
  return files;
}

async function writeProject(dir: string, leafVariant: number): Promise<void> {
  for (const [file, text] of Object.entries(generatedModels(leafVariant))) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
}

async function prepare(): Promise<string> {
  const dir = path.join(out, `project-${engine}`);
  const data = path.join(out, 'data');
  const haveData = await stat(path.join(data, '.generator.json')).then(
    () => true,
    () => false,
  );
  if (!haveData) {
    process.stderr.write(`generating the reference data at scale ${scale}…\n`);
    await rm(data, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    await generateData(out, { scale, slice: 0, seed: 42 });
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cp(path.join(reference, 'sources'), path.join(dir, 'sources'), { recursive: true });
  await cp(path.join(reference, 'models', 'staging'), path.join(dir, 'models', 'staging'), {
    recursive: true,
  });
  await cp(data, path.join(dir, 'data'), { recursive: true });
  await writeFile(
    path.join(dir, 'slipway.yaml'),
    `name: bench-release
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 2 }
state: { type: sqlite, path: .slipway/state.db }
environments:
  staging: { strategy: blue-green }
  prod: { strategy: blue-green, promote_from: staging }
defaults: { concurrency: 4 }
`,
  );
  await writeProject(dir, 0);
  return dir;
}

/**
 * The project moved onto a fresh PostgreSQL database as `slipway init --warehouse postgres` moves
 * it: sources loaded into `raw.*` tables, `slipway.yaml` (warehouse and state) and `sources/*.yml`
 * pointed at the database through `PG_URL_ENV`.
 */
async function moveToPostgres(dir: string): Promise<BenchDatabase> {
  const database = await createBenchDatabase('release');
  try {
    process.env[PG_URL_ENV] = database.url;
    const seed = await openSeedDatabase(PG_URL_ENV);
    try {
      const began = performance.now();
      const loaded = await moveReferenceProjectToPostgres(dir, { warehouse: seed, urlEnv: PG_URL_ENV });
      const rows = loaded.reduce((sum, table) => sum + table.rows, 0);
      process.stderr.write(
        `loaded ${loaded.length} sources (${rows.toLocaleString('en-US')} rows) into ${database.label} in ${((performance.now() - began) / 1000).toFixed(1)}s\n`,
      );
    } finally {
      await seed.close();
    }
    await rm(path.join(dir, 'data'), { recursive: true, force: true });
    return database;
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** The warehouse and state store of the bench project, as each engine's bench opens them. */
async function openServices(dir: string, project: Project): Promise<ReleaseServices> {
  const telemetry = createTelemetry();
  const logger = createLogger({ level: 'silent' });
  if (engine === 'duckdb') {
    return {
      state: openSqliteStateStore({ path: path.join(dir, '.slipway', 'state.db') }),
      warehouse: createDuckDbWarehouse({ path: path.join(dir, '.slipway', 'warehouse.duckdb'), threads: 2 }),
      telemetry,
      logger,
    };
  }
  const warehouse = await openWarehouse(project);
  try {
    const state = await openStateStore(project.config.state, { root: dir });
    return { state, warehouse, telemetry, logger };
  } catch (error) {
    await warehouse.close();
    throw error;
  }
}

async function load(dir: string): Promise<Project> {
  const parser = await createDuckDbSqlParser();
  return loadProject(dir, { parser }).finally(() => parser.close());
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const ms = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;

/** A second physical relation for every model (`<table>_copy`, same kind and rows). */
async function copyEveryModel(warehouse: Warehouse, models: EnvironmentModels): Promise<EnvironmentModels> {
  const kinds = new Map((await warehouse.listRelations(PHYSICAL_SCHEMA)).map((r) => [r.name, r.kind]));
  const copies: Record<string, EnvironmentModels[string]> = {};
  for (const [model, pointer] of Object.entries(models)) {
    const table = `${pointer.table}_copy`;
    const from = `select * from ${warehouse.quoteRelation(physicalTable(pointer.table))}`;
    if (kinds.get(pointer.table) === 'view') await warehouse.createView(physicalTable(table), from);
    else await warehouse.createTableAs(physicalTable(table), from);
    copies[model] = { ...pointer, table };
  }
  return copies;
}

/** Fails the bench unless every view of the environment reads the table the set names. */
async function expectShows(
  warehouse: Warehouse,
  environment: string,
  models: EnvironmentModels,
): Promise<void> {
  for (const [model, pointer] of Object.entries(models)) {
    const { rows } = await warehouse.query(
      `select (select count(*) from ${warehouse.quoteRelation({ schema: environment, name: model })}) = (select count(*) from ${warehouse.quoteRelation(physicalTable(pointer.table))}) as same`,
    );
    if (rows[0]?.['same'] !== true) throw new Error(`${environment}.${model} does not show ${pointer.table}`);
  }
  const { views } = await warehouse.environments.inspect(environment, Object.keys(models));
  for (const [model, pointer] of Object.entries(models)) {
    if (views.get(model) !== pointer.table)
      throw new Error(`${environment}.${model} reads ${String(views.get(model))}, not ${pointer.table}`);
  }
}

async function main(): Promise<void> {
  const dir = await prepare();
  const database = engine === 'postgres' ? await moveToPostgres(dir) : undefined;
  let services: ReleaseServices;
  try {
    services = await openServices(dir, await load(dir));
  } catch (error) {
    await database?.drop();
    throw error;
  }
  const apply = async (project: Project) =>
    applyRelease(services, {
      project,
      fingerprints: fingerprintProject(project),
      environment: 'staging',
      strategy: 'blue-green',
      commit: undefined,
      actor: 'bench',
      concurrency: project.config.defaults?.concurrency ?? 4,
    });
  try {
    const project = await load(dir);
    const models = project.models.size;
    let began = performance.now();
    const full = await apply(project);
    const fullMs = performance.now() - began;

    began = performance.now();
    await promoteRelease(services, { from: 'staging', to: 'prod', strategy: 'blue-green', actor: 'bench' });
    const firstPromoteMs = performance.now() - began;

    await writeProject(dir, 1);
    const changed = await load(dir);
    began = performance.now();
    const leaf = await apply(changed);
    const leafMs = performance.now() - began;

    const promoteMs: number[] = [firstPromoteMs];
    const rollbackMs: number[] = [];
    const switchMs: number[] = [];
    for (let i = 0; i < SWITCH_ROUNDS; i++) {
      began = performance.now();
      const p = await promoteRelease(services, {
        from: 'staging',
        to: 'prod',
        strategy: 'blue-green',
        actor: 'bench',
      });
      promoteMs.push(performance.now() - began);
      if (p.outcome) switchMs.push(p.outcome.timings.switchMs);
      if (p.plan.build.length > 0) throw new Error('promote rebuilt something');
      began = performance.now();
      const r = await rollbackRelease(services, {
        environment: 'prod',
        strategy: 'blue-green',
        actor: 'bench',
      });
      rollbackMs.push(performance.now() - began);
      if (r.outcome) switchMs.push(r.outcome.timings.switchMs);
    }
    // Every one of the 200 views re-pointed at each switch: a second physical copy of every
    // model, and switches back and forth between the two sets on a scratch environment (so the
    // measured releases are not disturbed). The baseline re-creates every view in one transaction
    // (what the switch did before environments read through a pointer), side by side.
    const sets = [full.plan.target, await copyEveryModel(services.warehouse, full.plan.target)];
    const createMs = await services.warehouse.environments.switch({
      environment: 'bench_switch',
      releaseId: 'bench-create',
      models: sets[1] ?? {},
      removed: [],
    });
    const fullSwitchMs: number[] = [];
    for (let i = 0; i < FULL_SWITCHES; i++) {
      fullSwitchMs.push(
        await services.warehouse.environments.switch({
          environment: 'bench_switch',
          releaseId: `bench-${i}`,
          models: sets[i % 2] ?? {},
          removed: [],
        }),
      );
    }
    await expectShows(services.warehouse, 'bench_switch', sets[(FULL_SWITCHES - 1) % 2] ?? {});
    const baselineMs: number[] = [];
    for (let i = 0; i < FULL_SWITCHES; i++) {
      began = performance.now();
      await services.warehouse.replaceViews(
        Object.entries(sets[i % 2] ?? {}).map(([model, pointer]) => ({
          view: { schema: 'bench_views', name: model },
          sql: `select * from ${services.warehouse.quoteRelation(physicalTable(pointer.table))}`,
        })),
      );
      baselineMs.push(performance.now() - began);
    }
    const ratio = leafMs / fullMs;
    const rows: [string, string, string, boolean | undefined][] = [
      ['models in the project', String(models), '200', undefined],
      [`full first release (${full.plan.build.length} built)`, ms(fullMs), '', undefined],
      [
        `1-model leaf change (${leaf.plan.build.length} built), ratio to full`,
        `${ms(leafMs)} = ${ratio.toFixed(4)}`,
        '≤ 0.05',
        ratio <= 0.05,
      ],
      [`first switch of a new ${models}-view environment (creates the views)`, ms(createMs), '', undefined],
      [
        `switch re-pointing all ${models} views, p50 / p99 (${fullSwitchMs.length})`,
        `${ms(percentile(fullSwitchMs, 50))} / ${ms(percentile(fullSwitchMs, 99))}`,
        `p99 ≤ ${TARGETS.switch} ms`,
        percentile(fullSwitchMs, 99) <= TARGETS.switch,
      ],
      [
        `  baseline: re-creating all ${models} views in one transaction`,
        `${ms(percentile(baselineMs, 50))} / ${ms(percentile(baselineMs, 99))}`,
        '',
        undefined,
      ],
      [
        '  switch / baseline, p50',
        (percentile(fullSwitchMs, 50) / percentile(baselineMs, 50)).toFixed(3),
        '',
        undefined,
      ],
      [
        `switch of a ${models}-view env in promote/rollback, p50 / p99 (${switchMs.length})`,
        `${ms(percentile(switchMs, 50))} / ${ms(percentile(switchMs, 99))}`,
        `p99 ≤ ${TARGETS.switch} ms`,
        percentile(switchMs, 99) <= TARGETS.switch,
      ],
      [
        `rollback, p50 / p99 (${rollbackMs.length})`,
        `${ms(percentile(rollbackMs, 50))} / ${ms(percentile(rollbackMs, 99))}`,
        `≤ ${TARGETS.rollback} ms`,
        percentile(rollbackMs, 99) <= TARGETS.rollback,
      ],
      [
        `promote, nothing to rebuild, p50 / p99 (${promoteMs.length})`,
        `${ms(percentile(promoteMs, 50))} / ${ms(percentile(promoteMs, 99))}`,
        `≤ ${TARGETS.promote} ms`,
        percentile(promoteMs, 99) <= TARGETS.promote,
      ],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(
      `\nbench/release — scale ${scale}, ${models} models, ${
        database === undefined
          ? 'DuckDB threads 2, state in SQLite'
          : `PostgreSQL at ${database.label}, state in the same database`
      }, concurrency 4\n\n`,
    );
    for (const [label, value, target, ok] of rows) {
      const verdict = ok === undefined ? '' : ok ? '  ok' : '  MISSED';
      process.stdout.write(
        `  ${label.padEnd(width)}  ${value.padStart(24)}  ${target.padEnd(12)}${verdict}\n`,
      );
    }
    process.stdout.write('\n');
  } finally {
    await services.warehouse.close();
    await services.state.close();
    await database?.drop();
  }
}

await main();
