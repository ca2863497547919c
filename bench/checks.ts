/**
 * Check execution benchmark: 20 checks of mixed kinds on a 10-million-row DuckDB table, three
 * ways, measured side by side in one run (interleaved, median of the rounds):
 *   - Slipway: `runChecks` (one statement for the 18 row-level checks, one query each for the
 *     uniqueness and relationship checks, plus its planning reads: DuckDB's column statistics, a
 *     0.2% block sample for the common values, the filters' parse, the parent's key range);
 *   - per check: one query per check, as dbt tests and SQLMesh audits run them;
 *   - floor: one plain aggregate query that reads every checked column once.
 * Then SQL unit tests per second on the reference project.
 *
 * The table lives in a DuckDB database file by default, as a Slipway warehouse does
 * (`.slipway/warehouse.duckdb`): DuckDB compresses data on disk (dictionary, FSST), which it does
 * not do for `:memory:` tables. `--storage memory` measures the uncompressed in-memory case.
 *
 *   npx tsx bench/checks.ts [--rows 10000000] [--rounds 3] [--storage file|memory]
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openUnitTestWarehouse } from '../src/app/open-unit-test-warehouse.js';
import { loadProject } from '../src/project/load-project.js';
import type { CheckDeclaration } from '../src/project/project.js';
import type { CheckKind } from '../src/project/schemas.js';
import { runChecks } from '../src/quality/run-checks.js';
import { runUnitTests } from '../src/quality/unit-tests/run-unit-tests.js';
import { createDuckDbSqlParser } from '../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    rounds: { type: 'string', default: '3' },
    storage: { type: 'string', default: 'file' },
  },
});
const ROWS = Number(values.rows);
const ROUNDS = Number(values.rounds);
if (values.storage !== 'file' && values.storage !== 'memory') {
  console.error(`--storage must be file or memory, not ${values.storage}`);
  process.exit(2);
}
const databaseFile = path.resolve(import.meta.dirname, '.out', 'checks', 'warehouse.duckdb');
if (values.storage === 'file') {
  await rm(path.dirname(databaseFile), { recursive: true, force: true });
  await mkdir(path.dirname(databaseFile), { recursive: true });
}
const warehouse = createDuckDbWarehouse({
  path: values.storage === 'file' ? databaseFile : ':memory:',
  poolSize: 4,
});
const relation = { schema: 'bench', name: 'txns' };
const merchants = { schema: 'bench', name: 'merchants' };

let line = 0;
const check = (
  kind: CheckKind,
  column: string | undefined,
  params: Record<string, unknown> = {},
): CheckDeclaration => {
  line += 1;
  return {
    id: `txns.${column ?? '*'}.${kind}.${line}`,
    kind,
    target: kind === 'relationships' ? 'txns' : 'txns',
    column,
    severity: 'error',
    params,
    position: { file: 'bench', line, column: 1 },
  };
};

/** 20 checks: 18 row-level (one statement), 1 uniqueness, 1 relationship. */
const checks: CheckDeclaration[] = [
  check('not_null', 'id'),
  check('unique', 'id'),
  check('not_null', 'customer_id'),
  check('range', 'customer_id', { min: 1 }),
  check('not_null', 'merchant_id'),
  check('relationships', 'merchant_id', { to: 'merchants', field: 'merchant_id' }),
  check('not_null', 'amount'),
  check('range', 'amount', { min: 0, max: 10000 }),
  check('pattern', 'currency', { regex: '^[A-Z]{3}$' }),
  check('accepted_values', 'status', { values: ['approved', 'declined'] }),
  check('not_null', 'status'),
  check('pattern', 'country', { regex: '^[A-Z]{2}$' }),
  check('not_null', 'event_ts'),
  check('freshness', 'event_ts', { column: 'event_ts', error_after: '3650d' }),
  check('accepted_values', 'channel', { values: ['pos', 'ecom', 'atm'] }),
  check('range', 'score', { min: 0, max: 100, where: "status = 'approved'" }),
  check('length', 'country', { min: 2, max: 2 }),
  check('expression', undefined, { sql: "amount >= 0 or status = 'declined'" }),
  check('row_count', undefined, { min: 1 }),
  check('not_null_proportion', 'channel', { at_least: 0.9 }),
];

/** The same checks, one query each, written the way dbt's generic tests compile them. */
const perCheckSql: string[] = [
  'select count(*) from bench.txns where id is null',
  'select count(*) from (select id from bench.txns where id is not null group by id having count(*) > 1)',
  'select count(*) from bench.txns where customer_id is null',
  'select count(*) from bench.txns where customer_id < 1',
  'select count(*) from bench.txns where merchant_id is null',
  'select count(*) from bench.txns c left join bench.merchants p on c.merchant_id = p.merchant_id where c.merchant_id is not null and p.merchant_id is null',
  'select count(*) from bench.txns where amount is null',
  'select count(*) from bench.txns where amount < 0 or amount > 10000 or isnan(amount)',
  "select count(*) from bench.txns where not regexp_matches(currency, '^[A-Z]{3}$')",
  "select count(*) from bench.txns where status not in ('approved', 'declined')",
  'select count(*) from bench.txns where status is null',
  "select count(*) from bench.txns where not regexp_matches(country, '^[A-Z]{2}$')",
  'select count(*) from bench.txns where event_ts is null',
  'select max(event_ts) from bench.txns',
  "select count(*) from bench.txns where channel not in ('pos', 'ecom', 'atm')",
  "select count(*) from bench.txns where status = 'approved' and (score < 0 or score > 100)",
  'select count(*) from bench.txns where length(country) < 2 or length(country) > 2',
  "select count(*) from bench.txns where not (amount >= 0 or status = 'declined')",
  'select count(*) from bench.txns',
  'select count(*) filter (where channel is null), count(*) from bench.txns',
];

/** The floor: every checked column read once by one plain aggregate. */
const floorSql = `select count(*), max(id), max(customer_id), max(merchant_id), max(amount), max(currency),
  max(status), max(country), max(event_ts), max(channel), max(score) from bench.txns`;

/** The floor with the one piece of work a uniqueness check cannot avoid: hashing every key once. */
const floorWithKeySql = floorSql.replace('count(*),', 'count(*), count(distinct id),');

/**
 * Informational: the floor with the key's distinct count as a bitmap over its known range (ids are
 * 0..ROWS-1), the cheapest exact uniqueness count DuckDB offers. An execution costing this much —
 * every checked column read once, plus the bitmap — is the best any exact check run could hope for.
 */
const floorWithBitmapSql = floorSql.replace(
  'count(*),',
  `count(*), bit_count(bitstring_agg(id, 0, ${Math.max(0, ROWS - 1)})),`,
);

async function setup(): Promise<void> {
  await warehouse.createSchema('bench');
  const began = performance.now();
  await warehouse.execute(`create table bench.txns as
    select i as id,
      1 + (i * 7919) % 500000 as customer_id,
      1 + (i * 104729) % 1000 as merchant_id,
      ((i * 2654435761) % 100000) / 100.0 as amount,
      (['USD', 'EUR', 'GBP'])[1 + i % 3] as currency,
      case when i % 10 = 0 then 'declined' else 'approved' end as status,
      (['US', 'GB', 'DE', 'FR', 'MX'])[1 + i % 5] as country,
      timestamp '2026-01-01' + to_seconds(i % 2592000) as event_ts,
      case when i % 50 = 0 then null else (['pos', 'ecom', 'atm'])[1 + i % 3] end as channel,
      (i % 101)::integer as score
    from range(${ROWS}) r(i)`);
  await warehouse.execute('create table bench.merchants as select i as merchant_id from range(1, 1001) r(i)');
  // Written out as a release leaves a physical table: compressed blocks in the file.
  if (values.storage === 'file') await warehouse.execute('CHECKPOINT');
  console.log(
    `generated ${ROWS.toLocaleString('en-US')} rows in ${((performance.now() - began) / 1000).toFixed(1)}s`,
  );
}

async function time(body: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await body();
  return performance.now() - began;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface Timings {
  readonly slipway: number;
  readonly perCheck: number;
  readonly floor: number;
  readonly floorWithKey: number | undefined;
  readonly floorWithBitmap: number | undefined;
}

/** Slipway, per-check and floor for a subset of the checks, interleaved, medians. */
async function measure(subset: readonly number[], withKey: boolean): Promise<Timings> {
  const chosen = subset.map((i) => checks[i] as CheckDeclaration);
  const statements = subset.map((i) => perCheckSql[i] as string);
  const slipway = (): Promise<unknown> =>
    runChecks({
      warehouse,
      checks: chosen,
      relationOf: (name) => (name === 'merchants' ? merchants : relation),
      names: ['txns', 'merchants'],
      now: () => Date.parse('2026-02-01T00:00:00Z'),
    }).then((s) => {
      const failed = s.results.filter((r) => r.status !== 'pass');
      if (failed.length)
        throw new Error(`unexpected failures: ${failed.map((r) => `${r.id} ${r.message}`).join('; ')}`);
    });
  const perCheck = async (): Promise<void> => {
    for (const sql of statements) await warehouse.query(sql);
  };
  const floor = (): Promise<unknown> => warehouse.query(floorSql);
  const t = {
    slipway: [] as number[],
    perCheck: [] as number[],
    floor: [] as number[],
    floorWithKey: [] as number[],
    floorWithBitmap: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    t.floor.push(await time(floor));
    if (withKey) t.floorWithKey.push(await time(() => warehouse.query(floorWithKeySql)));
    if (withKey) t.floorWithBitmap.push(await time(() => warehouse.query(floorWithBitmapSql)));
    t.slipway.push(await time(slipway));
    t.perCheck.push(await time(perCheck));
  }
  return {
    slipway: median(t.slipway),
    perCheck: median(t.perCheck),
    floor: median(t.floor),
    floorWithKey: withKey ? median(t.floorWithKey) : undefined,
    floorWithBitmap: withKey ? median(t.floorWithBitmap) : undefined,
  };
}

function print(
  title: string,
  { slipway: s, perCheck: p, floor: f, floorWithKey: k, floorWithBitmap: b }: Timings,
): void {
  console.log(`\n${title} (median of ${ROUNDS} interleaved rounds)`);
  console.log(`  floor (one aggregate, every checked column once)  ${f.toFixed(0).padStart(7)} ms`);
  if (k !== undefined)
    console.log(`  floor + one distinct count of the unique key      ${k.toFixed(0).padStart(7)} ms`);
  if (b !== undefined)
    console.log(`  floor + the key's distinct count as a bitmap      ${b.toFixed(0).padStart(7)} ms`);
  console.log(`  Slipway compiled checks                           ${s.toFixed(0).padStart(7)} ms`);
  console.log(`  one query per check (dbt / SQLMesh way)           ${p.toFixed(0).padStart(7)} ms`);
  console.log(`  per-check / Slipway = ${(p / s).toFixed(2)}x   (target >= 5x)`);
  console.log(`  Slipway / floor     = ${(s / f).toFixed(2)}x   (target <= 2x)`);
  if (k !== undefined) console.log(`  Slipway / floor with the key = ${(s / k).toFixed(2)}x`);
  if (b !== undefined)
    console.log(
      `  per-check / (floor + bitmap) = ${(p / b).toFixed(2)}x   (the ratio of an execution that cost only that)`,
    );
}

async function main(): Promise<void> {
  await setup();
  await warehouse.query(floorSql); // warm the table once
  const all = checks.map((_, i) => i);
  print(
    `20 checks on ${ROWS.toLocaleString('en-US')} rows (DuckDB ${values.storage === 'file' ? 'database file' : 'in memory'})`,
    await measure(all, true),
  );
  const rowLevel = all.filter((i) => checks[i]?.kind !== 'unique' && checks[i]?.kind !== 'relationships');
  print(
    `the ${rowLevel.length} row-level checks alone (no unique, no relationships)`,
    await measure(rowLevel, false),
  );
  await warehouse.close();

  const parser = await createDuckDbSqlParser();
  const project = await loadProject(path.resolve('examples/jkl-fraud'), { parser });
  await parser.close();
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const summary = await runUnitTests({ project, tests: project.tests, openEngine: openUnitTestWarehouse });
    const bad = summary.results.filter((r) => r.status !== 'pass');
    if (bad.length) throw new Error(`unit tests failed: ${bad.map((r) => r.name).join(', ')}`);
    rates.push(summary.testsPerSecond);
  }
  console.log(
    `\nunit tests on examples/jkl-fraud: ${project.tests.length} tests, ${median(rates).toFixed(1)} tests/s (median of ${ROUNDS})`,
  );
}

await main();
