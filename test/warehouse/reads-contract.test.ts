/**
 * The `reads` role's contract, run against both adapters on their real engines (DuckDB on a file,
 * PostgreSQL in a fresh database): reads of an environment by bare names with bound parameters,
 * the row cap, writes/DDL/several statements refused with a `ReadRefusedError`, the statement
 * timeout (`ReadTimeoutError`) and cancellation by an `AbortSignal`. What only DuckDB's sandbox
 * refuses (file reads, getenv…) is in duckdb-reads.test.ts; on PostgreSQL that is the role's grants.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadRefusedError, ReadTimeoutError } from '../../src/core/errors.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { createPostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.js';
import type { ReadSessions, Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase } from '../helpers/postgres.js';

interface Engine {
  readonly name: string;
  open(): Promise<{ warehouse: Warehouse; cleanup: () => Promise<void> }>;
  /** A statement that runs for hours. */
  readonly slow: string;
}

const ENGINES: readonly Engine[] = [
  {
    name: 'duckdb',
    slow: 'select count(*) as n from range(10000000000000) t(x) where x % 7 = 3',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'slipway-reads-contract-'));
      const warehouse = createDuckDbWarehouse({ path: join(dir, 'w.duckdb'), threads: 1 });
      return { warehouse, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    slow: 'select count(*) as n from generate_series(1, 100000000000) as g(x) where x % 7 = 3',
    async open() {
      const database = await freshDatabase('slipway_reads');
      const warehouse = createPostgresWarehouse({ url: database.url });
      return { warehouse, cleanup: () => database.drop() };
    },
  },
];

describe.each(ENGINES)('reads contract: $name', (engine) => {
  let warehouse: Warehouse;
  let reads: ReadSessions;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ warehouse, cleanup } = await engine.open());
    await warehouse.createSchema('slipway_physical');
    await warehouse.createSchema('prod');
    await warehouse.execute(
      'create table slipway_physical.orders__a as select id, id % 7 as amount from (select 1 as id union all select 2 union all select 3 union all select 4 union all select 5) as ids',
    );
    await warehouse.execute('create view prod.orders as select * from slipway_physical.orders__a');
    if (!warehouse.reads) throw new Error(`${engine.name} has no reads role`);
    reads = warehouse.reads;
  });

  afterAll(async () => {
    await warehouse?.close();
    await cleanup?.();
  });

  it('names the near relations and the environments that hold a missing one', async () => {
    await warehouse.createSchema('staging');
    await warehouse.execute('create view staging.refunds as select * from slipway_physical.orders__a');
    const environments = ['prod', 'staging'];
    const typo = await reads
      .query({ sql: 'select * from ordrs', schema: 'prod', maxRows: 10, environments })
      .catch((e: unknown) => e);
    expect((typo as Error).message).toMatch(/ordrs/);
    expect((typo as { hint?: string }).hint).toBe('did you mean orders?');
    const elsewhere = await reads
      .query({ sql: 'select * from refunds', schema: 'prod', maxRows: 10, environments })
      .catch((e: unknown) => e);
    expect((elsewhere as Error).message).toMatch(/refunds/);
    expect((elsewhere as { hint?: string }).hint).toBe('staging has refunds');
  });

  it('reads the environment by bare names, with bound parameters', async () => {
    const result = await reads.query({
      sql: 'select count(*) as n, sum(amount) as total from orders where id <= $1',
      params: [3],
      schema: 'prod',
      maxRows: 10,
    });
    expect(result.rows.map((r) => ({ n: Number(r['n']), total: Number(r['total']) }))).toEqual([
      { n: 3, total: 6 },
    ]);
    expect(result.columns.map((c) => c.name)).toEqual(['n', 'total']);
    expect(result.truncated).toBe(false);
  });

  it('caps the rows and says so', async () => {
    const result = await reads.query({
      sql: 'select id from orders order by id',
      schema: 'prod',
      maxRows: 2,
    });
    expect(result.rows.map((r) => Number(r['id']))).toEqual([1, 2]);
    expect(result.truncated).toBe(true);
  });

  for (const sql of [
    'delete from orders',
    'create table prod.x (a int)',
    'drop view prod.orders',
    'select 1; drop view prod.orders',
  ]) {
    it(`refuses ${sql}`, async () => {
      await expect(reads.query({ sql, schema: 'prod', maxRows: 10 })).rejects.toBeInstanceOf(
        ReadRefusedError,
      );
      const still = await reads.query({
        sql: 'select count(*) as n from orders',
        schema: 'prod',
        maxRows: 1,
      });
      expect(Number(still.rows[0]?.['n'])).toBe(5);
    });
  }

  it('stops a statement at its timeout and when its signal aborts', async () => {
    await expect(
      reads.query({ sql: engine.slow, schema: 'prod', maxRows: 1, timeoutMs: 200 }),
    ).rejects.toBeInstanceOf(ReadTimeoutError);
    const controller = new AbortController();
    const pending = reads.query({ sql: engine.slow, schema: 'prod', maxRows: 1, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('the client went away')), 100);
    await expect(pending).rejects.toThrow(/went away|cancel|abort|interrupt/i);
    const after = await reads.query({ sql: 'select 1 as one', schema: 'prod', maxRows: 1 });
    expect(Number(after.rows[0]?.['one'])).toBe(1);
  });
});
