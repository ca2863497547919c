/**
 * The engines bench/checks runs on: for each, the warehouse holding the generated table
 * `bench.txns` (and `bench.merchants`), the same 20 checks written one query each in that engine's
 * SQL (as dbt's generic tests compile them there), and the floor — one plain aggregate that reads
 * every checked column once — with what the floor is, said in the output. The data is generated
 * by the engine itself (DuckDB's `range`, PostgreSQL's `generate_series`), never through Node.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js';
import { createPostgresWarehouse } from '../src/warehouse/postgres/postgres-warehouse.js';
import type { Warehouse } from '../src/warehouse/warehouse.js';
import { createBenchDatabase } from './postgres-bench-database.js';

export interface CheckBenchEngine {
  readonly warehouse: Warehouse;
  /** `DuckDB database file`, `PostgreSQL 15.4 (…)`: where the table lives. */
  readonly where: string;
  /** The 20 checks, one query each, in the order of the bench's check list. */
  readonly perCheckSql: readonly string[];
  readonly floorSql: string;
  /** What the floor reads, printed beside its figure. */
  readonly floorNote: string;
  /** Informational floors beyond floor + one distinct count of the key (same labels both ways). */
  readonly extraFloors: readonly { readonly label: string; readonly sql: string }[];
  /** Closes the warehouse (and drops a database the bench made). */
  close(): Promise<void>;
}

/** The per-check SQL both engines write alike; `$regex(col, re)` and `$nan(col)` are the dialect's. */
function perCheck(regex: (column: string, re: string) => string, nan: (column: string) => string): string[] {
  return [
    'select count(*) from bench.txns where id is null',
    'select count(*) from (select id from bench.txns where id is not null group by id having count(*) > 1) d',
    'select count(*) from bench.txns where customer_id is null',
    'select count(*) from bench.txns where customer_id < 1',
    'select count(*) from bench.txns where merchant_id is null',
    'select count(*) from bench.txns c left join bench.merchants p on c.merchant_id = p.merchant_id where c.merchant_id is not null and p.merchant_id is null',
    'select count(*) from bench.txns where amount is null',
    `select count(*) from bench.txns where amount < 0 or amount > 10000 or ${nan('amount')}`,
    `select count(*) from bench.txns where not ${regex('currency', '^[A-Z]{3}$')}`,
    "select count(*) from bench.txns where status not in ('approved', 'declined')",
    'select count(*) from bench.txns where status is null',
    `select count(*) from bench.txns where not ${regex('country', '^[A-Z]{2}$')}`,
    'select count(*) from bench.txns where event_ts is null',
    'select max(event_ts) from bench.txns',
    "select count(*) from bench.txns where channel not in ('pos', 'ecom', 'atm')",
    "select count(*) from bench.txns where status = 'approved' and (score < 0 or score > 100)",
    'select count(*) from bench.txns where length(country) < 2 or length(country) > 2',
    "select count(*) from bench.txns where not (amount >= 0 or status = 'declined')",
    'select count(*) from bench.txns',
    'select count(*) filter (where channel is null), count(*) from bench.txns',
  ];
}

/** DuckDB, in a database file as a Slipway warehouse keeps its tables (or in memory). */
export async function openDuckDbCheckBench(
  rows: number,
  storage: 'file' | 'memory',
): Promise<CheckBenchEngine> {
  const databaseFile = path.resolve(import.meta.dirname, '.out', 'checks', 'warehouse.duckdb');
  if (storage === 'file') {
    await rm(path.dirname(databaseFile), { recursive: true, force: true });
    await mkdir(path.dirname(databaseFile), { recursive: true });
  }
  const warehouse = createDuckDbWarehouse({
    path: storage === 'file' ? databaseFile : ':memory:',
    poolSize: 4,
  });
  await warehouse.createSchema('bench');
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
    from range(${rows}) r(i)`);
  await warehouse.execute('create table bench.merchants as select i as merchant_id from range(1, 1001) r(i)');
  // Written out as a release leaves a physical table: compressed blocks in the file.
  if (storage === 'file') await warehouse.execute('CHECKPOINT');
  const floorSql = `select count(*), max(id), max(customer_id), max(merchant_id), max(amount), max(currency),
  max(status), max(country), max(event_ts), max(channel), max(score) from bench.txns`;
  return {
    warehouse,
    where: storage === 'file' ? 'DuckDB database file' : 'DuckDB in memory',
    perCheckSql: perCheck(
      (column, re) => `regexp_matches(${column}, '${re}')`,
      (column) => `isnan(${column})`,
    ),
    floorSql,
    floorNote: 'one aggregate, every checked column once',
    extraFloors: [
      {
        // The key's distinct count as a bitmap over its known range (ids are 0..rows-1), the
        // cheapest exact uniqueness count DuckDB offers: the best any exact check run could hope for.
        label: "floor + the key's distinct count as a bitmap",
        sql: floorSql.replace(
          'count(*),',
          `count(*), bit_count(bitstring_agg(id, 0, ${Math.max(0, rows - 1)})),`,
        ),
      },
    ],
    close: () => warehouse.close(),
  };
}

/**
 * PostgreSQL, in a fresh database on the bench server. The table is vacuumed and analyzed once
 * after it is written, as autovacuum leaves a table a release built: hint bits and the visibility
 * map set (so no measured scan is the first to touch a page) and `pg_stats` filled, which Slipway's
 * planning reads.
 */
export async function openPostgresCheckBench(rows: number): Promise<CheckBenchEngine> {
  const database = await createBenchDatabase('checks');
  const warehouse = createPostgresWarehouse({ url: database.url, poolSize: 4 });
  try {
    await warehouse.createSchema('bench');
    await warehouse.execute(`create table bench.txns as
    select i as id,
      1 + (i * 7919) % 500000 as customer_id,
      1 + (i * 104729) % 1000 as merchant_id,
      cast(((i * 2654435761) % 100000) / 100.0 as double precision) as amount,
      (array['USD', 'EUR', 'GBP'])[1 + i % 3] as currency,
      case when i % 10 = 0 then 'declined' else 'approved' end as status,
      (array['US', 'GB', 'DE', 'FR', 'MX'])[1 + i % 5] as country,
      timestamp '2026-01-01' + make_interval(secs => i % 2592000) as event_ts,
      case when i % 50 = 0 then null else (array['pos', 'ecom', 'atm'])[1 + i % 3] end as channel,
      cast(i % 101 as integer) as score
    from generate_series(cast(0 as bigint), ${Math.max(0, rows - 1)}) g(i)`);
    await warehouse.execute(
      'create table bench.merchants as select cast(i as bigint) as merchant_id from generate_series(1, 1000) g(i)',
    );
    await warehouse.execute('vacuum analyze bench.txns');
    await warehouse.execute('vacuum analyze bench.merchants');
    const { rows: info } = await warehouse.query(
      `select current_setting('server_version') as version,
              current_setting('max_parallel_workers_per_gather') as workers,
              datcollate as collation from pg_database where datname = current_database()`,
    );
    const settings = info[0] ?? {};
    return {
      warehouse,
      where: `PostgreSQL ${String(settings['version'])} at ${database.label}, collation ${String(settings['collation'])}, up to ${String(settings['workers'])} parallel workers per scan`,
      perCheckSql: perCheck(
        (column, re) => `(${column} ~ '${re}')`,
        (column) => `${column} = 'NaN'`,
      ),
      // max() of a text column would compare by collation on every row: octet_length reads each
      // value without that, so the floor is the scan and the reading of every column, nothing more.
      floorSql: `select count(*), max(id), max(customer_id), max(merchant_id), max(amount),
  max(octet_length(currency)), max(octet_length(status)), max(octet_length(country)), max(event_ts),
  max(octet_length(channel)), max(score) from bench.txns`,
      floorNote: 'one sequential scan, one aggregate reading every checked column once',
      extraFloors: [],
      close: async () => {
        await warehouse.close();
        await database.drop();
      },
    };
  } catch (error) {
    await warehouse.close().catch(() => undefined);
    await database.drop();
    throw error;
  }
}
