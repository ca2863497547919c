/**
 * The read sandbox on a real DuckDB: what a reader may run over an environment's views, what is
 * refused (each write, DDL, extension, file/URL read and escape the issue names), the row cap,
 * the statement timeout and cancellation, and that writers keep reading files beside the readers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadRefusedError, ReadTimeoutError } from '../../src/core/errors.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import type { ReadSessions, Warehouse } from '../../src/warehouse/warehouse.js';

let tmp: string;
let warehouse: Warehouse;
let reads: ReadSessions;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'slipway-reads-'));
  await writeFile(join(tmp, 'secret.csv'), 'password\nhunter2\n');
  warehouse = createDuckDbWarehouse({ path: join(tmp, 'w.duckdb'), threads: 2 });
  await warehouse.execute('create schema slipway_physical; create schema prod; create schema staging');
  await warehouse.execute(
    'create table slipway_physical.orders__a as select range as id, range % 7 as amount from range(5000)',
  );
  await warehouse.execute('create view prod.orders as select * from slipway_physical.orders__a');
  await warehouse.execute('create view staging.orders as select * from slipway_physical.orders__a');
  if (!warehouse.reads) throw new Error('the DuckDB adapter has no reads role');
  reads = warehouse.reads;
});

afterAll(async () => {
  await warehouse.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('DuckDB reads', () => {
  it('reads an environment by bare and qualified names, with parameters', async () => {
    const bare = await reads.query({
      sql: 'select count(*) as n, sum(amount) as total from orders where id < $1',
      params: [100],
      schema: 'prod',
      maxRows: 10,
    });
    expect(bare.rows).toEqual([{ n: 100, total: 295 }]);
    const cte = await reads.query({
      sql: 'with o as (select * from prod.orders) select count(*) as n from o, range(2)',
      schema: 'prod',
      maxRows: 10,
    });
    expect(cte.rows[0]?.['n']).toBe(10_000);
    const catalog = await reads.query({
      sql: "select table_name from information_schema.tables where table_schema = 'prod'",
      schema: 'prod',
      maxRows: 10,
    });
    expect(catalog.rows).toEqual([{ table_name: 'orders' }]);
  });

  it('caps the rows and says so', async () => {
    const capped = await reads.query({
      sql: 'select id from orders order by id',
      schema: 'prod',
      maxRows: 7,
    });
    expect(capped.rows.map((r) => r['id'])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(capped.truncated).toBe(true);
    const whole = await reads.query({ sql: 'select id from orders', schema: 'prod', maxRows: 5000 });
    expect(whole.rows).toHaveLength(5000);
    expect(whole.truncated).toBe(false);
  });

  const escapes: readonly [string, RegExp][] = [
    ["select * from read_csv('SECRET')", /table function read_csv/],
    ["select * from read_csv_auto('SECRET')", /table function read_csv_auto/],
    ["select * from read_parquet('SECRET')", /table function read_parquet/],
    ["select * from read_json('SECRET')", /table function read_json/],
    ["select * from read_text('SECRET')", /table function read_text/],
    ["select * from glob('/etc/*')", /table function glob/],
    ["select * from 'SECRET'", /files or URLs/],
    ["select * from 'https://example.com/x.parquet'", /files or URLs/],
    ["select * from orders, (select * from read_csv('SECRET')) s", /read_csv/],
    ["select (select count(*) from read_csv('SECRET')) from orders", /read_csv/],
    ["select * from orders union all select * from read_csv('SECRET')", /read_csv/],
    ["select * from query('select 1')", /table function query/],
    ["select * from query_table('prod.orders')", /query_table/],
    ["select getenv('HOME')", /getenv/],
    ["select current_setting('threads')", /current_setting/],
    ['select * from duckdb_settings()', /duckdb_settings/],
    ["select * from pragma_table_info('prod.orders')", /pragma_table_info/],
    ['select * from slipway_physical.orders__a', /schema slipway_physical is not readable/],
    ['select * from staging.orders', /schema staging is not readable/],
    ['select * from no_such_view', /no relation prod.no_such_view/],
    ['select * from other_db.main.t', /other databases/],
    ['insert into prod.orders values (1, 1)', /only SELECT/],
    ['delete from slipway_physical.orders__a', /only SELECT/],
    ['create table prod.x as select 1', /only SELECT/],
    ['drop view prod.orders', /only SELECT/],
    ["attach 'SECRET.duckdb' as s", /only SELECT/],
    ['install httpfs', /only SELECT/],
    ['load httpfs', /only SELECT/],
    ["copy prod.orders to 'SECRET.out'", /only SELECT/],
    ['pragma database_list', /only SELECT/],
    ['set enable_external_access = true', /only SELECT/],
    ["set file_search_path = '/'", /only SELECT/],
    ['select 1; select 2', /one statement/],
    ['select 1; drop view prod.orders', /only SELECT|one statement/],
  ];
  for (const [template, reason] of escapes) {
    it(`refuses ${template}`, async () => {
      const sql = template.replaceAll('SECRET', join(tmp, 'secret.csv'));
      const refused = await reads.query({ sql, schema: 'prod', maxRows: 10 }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ReadRefusedError);
      expect((refused as Error).message).toMatch(reason);
    });
  }

  it('lets a read of another environment through when the caller allows it', async () => {
    const other = await reads.query({
      sql: 'select count(*) as n from staging.orders',
      schema: 'prod',
      alsoReadable: ['staging'],
      maxRows: 1,
    });
    expect(other.rows).toEqual([{ n: 5000 }]);
  });

  it('stops a statement at its timeout and when its caller aborts', async () => {
    const slow = 'select count(*) from range(100000000000) where range % 3 = 7';
    const timedOut = await reads
      .query({ sql: slow, schema: 'prod', maxRows: 1, timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(ReadTimeoutError);
    const controller = new AbortController();
    const running = reads.query({ sql: slow, schema: 'prod', maxRows: 1, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client went away')), 100);
    await expect(running).rejects.toThrow('client went away');
    // The connections are usable afterwards.
    const after = await reads.query({ sql: 'select 42 as x', schema: 'prod', maxRows: 1 });
    expect(after.rows).toEqual([{ x: 42 }]);
  });

  it('leaves the writers able to read files beside the readers', async () => {
    const rows = await warehouse.query(`select * from read_csv('${join(tmp, 'secret.csv')}')`);
    expect(rows.rows).toEqual([{ password: 'hunter2' }]);
  });
});
