/**
 * The warehouse contract: the behaviour every `Warehouse` adapter must show against its real
 * engine (Hono's `common.case.test.ts` idea). Each adapter's test file calls `warehouseContract`
 * with a factory; engine-specific SQL is chosen by `warehouse.engine`, never by the caller.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlipwayError, WarehouseError } from '../../src/core/errors.js';
import type { Row, SqlValue, Warehouse } from '../../src/warehouse/warehouse.js';

/** SQL that differs between engines, keyed by engine. */
function sqlFor(warehouse: Warehouse) {
  const duck = warehouse.engine === 'duckdb';
  return {
    /** `n` rows with one BIGINT column `i` = 0 … n-1, in order. */
    series: (n: number) =>
      duck
        ? `select range as i from range(${n}) order by i`
        : `select i::bigint as i from generate_series(0, ${n - 1}) as g(i) order by i`,
    /** A statement that runs for minutes unless cancelled. */
    longRunning: duck
      ? 'select sum(a.range * b.range) as s from range(1000000000) a, range(1000000) b'
      : 'select count(*) from generate_series(1, 1000000000) a, generate_series(1, 1000000) b',
    double: duck ? 'double' : 'double precision',
  };
}

/** Expects `promise` to reject with a `WarehouseError` and returns it. */
async function rejection(promise: Promise<unknown>): Promise<WarehouseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WarehouseError);
  return error as WarehouseError;
}

/** Rows as plain objects, easier to compare with `toEqual`. */
function plain(rows: readonly Row[]): Record<string, SqlValue>[] {
  return rows.map((row) => ({ ...row }));
}

/**
 * Defines the contract tests for one adapter. `make` must return a fresh, empty warehouse each
 * time; the suite closes it after each test.
 *
 * @example
 * warehouseContract('duckdb :memory:', async () => createDuckDbWarehouse({ path: ':memory:' }));
 */
export function warehouseContract(name: string, make: () => Promise<Warehouse>): void {
  describe(`warehouse contract: ${name}`, () => {
    let warehouse: Warehouse;

    beforeEach(async () => {
      warehouse = await make();
    });

    afterEach(async () => {
      await warehouse.close();
    });

    describe('values', () => {
      it('round-trips scalar types', async () => {
        const { double } = sqlFor(warehouse);
        const { rows, columns } = await warehouse.query(
          `select 42::integer as int, -7::smallint as small, 9007199254740993::bigint as big,
             123::bigint as small_big, 1.25::decimal(10,2) as dec, 0.5::${double} as dbl,
             'NaN'::${double} as nan, 'Infinity'::${double} as inf, '-Infinity'::${double} as ninf,
             'héllo 🌍 "q" it''s' as str, true as yes, false as no, null::integer as nothing,
             timestamp '2024-01-02 03:04:05.123456' as ts, timestamp '2024-01-02 03:04:05' as ts_whole,
             timestamptz '2024-01-02 03:04:05+02:00' as tstz, date '2024-02-29' as day`,
        );
        expect(columns.map((c) => c.name)).toContain('tstz');
        const [row] = rows;
        expect(row).toBeDefined();
        expect(row!['int']).toBe(42);
        expect(row!['small']).toBe(-7);
        expect(row!['big']).toBe(9007199254740993n);
        expect(row!['small_big']).toBe(123);
        expect(row!['dec']).toBe(1.25);
        expect(row!['dbl']).toBe(0.5);
        expect(row!['nan']).toBeNaN();
        expect(row!['inf']).toBe(Number.POSITIVE_INFINITY);
        expect(row!['ninf']).toBe(Number.NEGATIVE_INFINITY);
        expect(row!['str']).toBe('héllo 🌍 "q" it\'s');
        expect(row!['yes']).toBe(true);
        expect(row!['no']).toBe(false);
        expect(row!['nothing']).toBeNull();
        expect(row!['ts']).toBe('2024-01-02T03:04:05.123456');
        expect(row!['ts_whole']).toBe('2024-01-02T03:04:05');
        expect(row!['tstz']).toBe('2024-01-02T01:04:05Z');
        expect(row!['day']).toBe('2024-02-29');
      });

      it('round-trips lists and structs where the engine has them', async () => {
        if (warehouse.engine !== 'duckdb') return;
        const { rows } = await warehouse.query(
          `select [1, 2, null] as list, {'a': 1, 'b': ['x', 'y'], 'c': {'d': 9007199254740993::bigint}} as rec,
             ['nan'::double, 'inf'::double] as specials, [[1], []]::integer[][] as nested`,
        );
        expect(plain(rows)).toEqual([
          {
            list: [1, 2, null],
            rec: { a: 1, b: ['x', 'y'], c: { d: 9007199254740993n } },
            specials: [Number.NaN, Number.POSITIVE_INFINITY],
            nested: [[1], []],
          },
        ]);
      });

      it('binds parameters as values, never as SQL', async () => {
        await warehouse.execute('create table victims (name varchar)');
        await warehouse.execute('insert into victims values ($1)', { params: ['bobby'] });
        const injection = "x'); drop table victims; --";
        const { rows } = await warehouse.query('select $1::text as s, $2::integer as n, $3::bigint as b', {
          params: [injection, 7, 9007199254740993n],
        });
        expect(plain(rows)).toEqual([{ s: injection, n: 7, b: 9007199254740993n }]);
        await warehouse.execute('insert into victims values ($1)', { params: [injection] });
        const after = await warehouse.query('select name from victims order by name');
        expect(after.rows.map((r) => r['name'])).toEqual(['bobby', injection]);
      });

      it('binds null and boolean parameters', async () => {
        const { rows } = await warehouse.query('select $1::integer as a, $2::boolean as b', {
          params: [null, true],
        });
        expect(plain(rows)).toEqual([{ a: null, b: true }]);
      });
    });

    describe('identifiers', () => {
      it('quotes identifiers by doubling embedded quotes', () => {
        expect(warehouse.quoteIdentifier('plain')).toBe('"plain"');
        expect(warehouse.quoteIdentifier('a"b')).toBe('"a""b"');
        expect(warehouse.quoteRelation({ schema: 'S', name: 't x' })).toBe('"S"."t x"');
      });

      it('refuses identifiers with NUL', () => {
        expect(() => warehouse.quoteIdentifier('a\0b')).toThrow(SlipwayError);
        expect(() => warehouse.quoteIdentifier('a\0b')).toThrow(/NUL/);
      });

      it('works with spaces, quotes and mixed case', async () => {
        const ref = { schema: 'My "Odd" Schema', name: 'Mixed Case "table"' };
        const column = warehouse.quoteIdentifier('Col "One"');
        await warehouse.createSchema(ref.schema);
        await warehouse.execute(`create table ${warehouse.quoteRelation(ref)} (${column} integer)`);
        await warehouse.execute(`insert into ${warehouse.quoteRelation(ref)} values (1), (2)`);
        const { rows } = await warehouse.query(
          `select ${column} from ${warehouse.quoteRelation(ref)} order by 1`,
        );
        expect(rows.map((r) => r['Col "One"'])).toEqual([1, 2]);
        expect(await warehouse.listSchemas()).toContain(ref.schema);
        expect(await warehouse.listRelations(ref.schema)).toEqual([{ ...ref, kind: 'table' }]);
        expect((await warehouse.describe(ref))?.map((c) => c.name)).toEqual(['Col "One"']);
        expect(await warehouse.rowCount(ref)).toBe(2);
      });
    });

    describe('stream', () => {
      it('yields every row in order, in batches of at most batchSize', async () => {
        const sizes: number[] = [];
        let expected = 0;
        let inOrder = true;
        for await (const batch of warehouse.stream(sqlFor(warehouse).series(100_000), {
          batchSize: 10_000,
        })) {
          sizes.push(batch.length);
          for (const row of batch) {
            if (row['i'] !== expected) inOrder = false;
            expected += 1;
          }
        }
        expect(expected).toBe(100_000);
        expect(inOrder).toBe(true);
        expect(sizes.length).toBeGreaterThanOrEqual(10);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(10_000);
      });

      it('stops early without leaking its connection', async () => {
        for (let i = 0; i < warehouse.capabilities.maxConcurrency + 2; i += 1) {
          for await (const batch of warehouse.stream(sqlFor(warehouse).series(50_000), { batchSize: 100 })) {
            expect(batch).toHaveLength(100);
            break;
          }
        }
        const { rows } = await warehouse.query('select 1 as one');
        expect(rows).toHaveLength(1);
      });

      it('binds parameters', async () => {
        const seen: SqlValue[] = [];
        for await (const batch of warehouse.stream('select $1::text as s', { params: ["'; --"] })) {
          seen.push(...batch.map((r) => r['s'] ?? null));
        }
        expect(seen).toEqual(["'; --"]);
      });
    });

    describe('transactions', () => {
      beforeEach(async () => {
        await warehouse.execute('create table ledger (id integer)');
      });

      it('commits on success', async () => {
        const value = await warehouse.transaction(async (tx) => {
          await tx.execute('insert into ledger values (1), (2)');
          const { rows } = await tx.query('select count(*) as n from ledger');
          return rows[0]?.['n'];
        });
        expect(value).toBe(2);
        expect(await warehouse.rowCount({ schema: defaultSchema(warehouse), name: 'ledger' })).toBe(2);
      });

      it('rolls back on throw and rethrows the body error unchanged', async () => {
        const failure = new Error('body failed');
        await expect(
          warehouse.transaction(async (tx) => {
            await tx.execute('insert into ledger values (1)');
            throw failure;
          }),
        ).rejects.toBe(failure);
        const { rows } = await warehouse.query('select count(*) as n from ledger');
        expect(rows[0]?.['n']).toBe(0);
      });

      it('rolls back DDL', async () => {
        await expect(
          warehouse.transaction(async (tx) => {
            await tx.execute('create table temporary_thing (x integer)');
            await tx.execute('drop table ledger');
            throw new Error('undo');
          }),
        ).rejects.toThrow('undo');
        const names = (await warehouse.listRelations(defaultSchema(warehouse))).map((r) => r.name);
        expect(names).toContain('ledger');
        expect(names).not.toContain('temporary_thing');
      });

      it('wraps a failing statement inside the body in a WarehouseError', async () => {
        const error = await rejection(
          warehouse.transaction(async (tx) => {
            await tx.execute('insert into no_such_ledger values (1)');
          }),
        );
        expect(error.sql).toBe('insert into no_such_ledger values (1)');
      });
    });

    describe('views', () => {
      const env = { schema: 'env_prod', name: 'orders' };
      const other = { schema: 'env_prod', name: 'customers' };

      beforeEach(async () => {
        await warehouse.execute('create table source_v1 as select 1 as version');
        await warehouse.execute('create table source_v2 as select 2 as version');
        await warehouse.replaceViews([
          { view: env, sql: 'select version from source_v1' },
          { view: other, sql: 'select version from source_v1' },
        ]);
      });

      async function versions(): Promise<SqlValue[]> {
        const a = await warehouse.query(`select version from ${warehouse.quoteRelation(env)}`);
        const b = await warehouse.query(`select version from ${warehouse.quoteRelation(other)}`);
        return [a.rows[0]?.['version'] ?? null, b.rows[0]?.['version'] ?? null];
      }

      it('creates the schema and the views', async () => {
        expect(await versions()).toEqual([1, 1]);
        expect(await warehouse.listRelations(env.schema)).toEqual([
          { ...other, kind: 'view' },
          { ...env, kind: 'view' },
        ]);
      });

      it('replaces all views together', async () => {
        await warehouse.replaceViews([
          { view: env, sql: 'select version from source_v2' },
          { view: other, sql: 'select version from source_v2' },
        ]);
        expect(await versions()).toEqual([2, 2]);
      });

      it('leaves every old view intact when one definition fails', async () => {
        const error = await rejection(
          warehouse.replaceViews([
            { view: env, sql: 'select version from source_v2' },
            { view: other, sql: 'select version from no_such_source' },
          ]),
        );
        expect(error.message).toContain('no_such_source');
        expect(await versions()).toEqual([1, 1]);
      });

      it('createView replaces a single view', async () => {
        await warehouse.createView(env, 'select version from source_v2');
        expect(await versions()).toEqual([2, 1]);
      });
    });

    describe('introspection and DDL', () => {
      it('lists schemas, tables and views and describes columns', async () => {
        await warehouse.createSchema('analytics');
        await warehouse.createSchema('analytics'); // idempotent
        await warehouse.execute(
          'create table analytics.facts (id bigint not null, label varchar, amount decimal(12,2), happened_at timestamp)',
        );
        await warehouse.execute(
          "insert into analytics.facts values (1, 'a', 1.5, null), (2, null, null, null)",
        );
        await warehouse.createView(
          { schema: 'analytics', name: 'fact_view' },
          'select id from analytics.facts',
        );

        expect(await warehouse.listSchemas()).toContain('analytics');
        expect(await warehouse.listRelations('analytics')).toEqual([
          { schema: 'analytics', name: 'fact_view', kind: 'view' },
          { schema: 'analytics', name: 'facts', kind: 'table' },
        ]);
        const columns = await warehouse.describe({ schema: 'analytics', name: 'facts' });
        expect(columns).toEqual([
          { name: 'id', type: 'BIGINT', nullable: false },
          {
            name: 'label',
            type: expect.stringMatching(/^(VARCHAR|CHARACTER VARYING|TEXT)$/),
            nullable: true,
          },
          { name: 'amount', type: expect.stringMatching(/^(DECIMAL|NUMERIC)\(12,\s?2\)$/), nullable: true },
          {
            name: 'happened_at',
            type: expect.stringMatching(/^TIMESTAMP( WITHOUT TIME ZONE)?$/),
            nullable: true,
          },
        ]);
        expect(
          (await warehouse.describe({ schema: 'analytics', name: 'fact_view' }))?.map((c) => c.name),
        ).toEqual(['id']);
        expect(await warehouse.rowCount({ schema: 'analytics', name: 'facts' })).toBe(2);
        expect(await warehouse.rowCount({ schema: 'analytics', name: 'fact_view' })).toBe(2);
      });

      it('describes a missing relation as undefined and lists a missing schema as empty', async () => {
        expect(await warehouse.describe({ schema: 'nowhere', name: 'nothing' })).toBeUndefined();
        expect(
          await warehouse.describe({ schema: defaultSchema(warehouse), name: 'nothing' }),
        ).toBeUndefined();
        expect(await warehouse.listRelations('nowhere')).toEqual([]);
      });

      it('createTableAs creates and then replaces a table', async () => {
        const ref = { schema: 'physical', name: 'orders__abc' };
        await warehouse.createSchema(ref.schema);
        await warehouse.createTableAs(ref, 'select 1 as a');
        expect(await warehouse.rowCount(ref)).toBe(1);
        await warehouse.createTableAs(ref, 'select 1 as a, 2 as b union all select 3, 4');
        expect(await warehouse.rowCount(ref)).toBe(2);
        expect((await warehouse.describe(ref))?.map((c) => c.name)).toEqual(['a', 'b']);
      });

      it('createTableAs binds parameters', async () => {
        const ref = { schema: defaultSchema(warehouse), name: 'params_table' };
        await warehouse.createTableAs(ref, 'select $1::text as s', { params: ['kept literal'] });
        const { rows } = await warehouse.query(`select s from ${warehouse.quoteRelation(ref)}`);
        expect(rows[0]?.['s']).toBe('kept literal');
      });

      it('drops tables and views', async () => {
        const schema = defaultSchema(warehouse);
        await warehouse.createTableAs({ schema, name: 'doomed' }, 'select 1 as a');
        await warehouse.createView({ schema, name: 'doomed_view' }, 'select 1 as a');
        await warehouse.dropRelation({ schema, name: 'doomed_view' }, 'view');
        await warehouse.dropRelation({ schema, name: 'doomed' }, 'table');
        expect(await warehouse.listRelations(schema)).toEqual([]);
        expect(await warehouse.describe({ schema, name: 'doomed' })).toBeUndefined();
      });
    });

    describe('cancellation', () => {
      it('cancels a running statement and stays usable', async () => {
        if (!warehouse.capabilities.cancel) return;
        const controller = new AbortController();
        const started = Date.now();
        const running = warehouse.query(sqlFor(warehouse).longRunning, { signal: controller.signal });
        setTimeout(() => controller.abort(), 150);
        const error = await rejection(running);
        expect(error.message).toMatch(/cancel/i);
        expect(Date.now() - started).toBeLessThan(5_000);
        const { rows } = await warehouse.query('select 1 as one');
        expect(rows).toEqual([{ one: 1 }]);
      });

      it('rejects at once when the signal is already aborted', async () => {
        const error = await rejection(warehouse.execute('select 1', { signal: AbortSignal.abort() }));
        expect(error.message).toMatch(/cancel/i);
      });
    });

    describe('concurrency', () => {
      it('runs up to maxConcurrency statements at once', async () => {
        const parallel = Math.min(warehouse.capabilities.maxConcurrency, 8);
        let arrived = 0;
        let releaseAll: () => void = () => {};
        const allArrived = new Promise<void>((resolve) => {
          releaseAll = resolve;
        });
        // Each transaction holds its connection until all of them hold one: this only finishes
        // if `parallel` connections are really in use at the same time.
        const work = Array.from({ length: parallel }, (_, index) =>
          warehouse.transaction(async (tx) => {
            await tx.query('select 1');
            arrived += 1;
            if (arrived === parallel) releaseAll();
            await allArrived;
            return index;
          }),
        );
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`only ${arrived} of ${parallel} ran at once`)), 5_000);
        });
        try {
          expect(await Promise.race([Promise.all(work), timeout])).toEqual([...Array(parallel).keys()]);
        } finally {
          clearTimeout(timer);
        }
      });

      it('queues work beyond maxConcurrency and finishes it all', async () => {
        const count = warehouse.capabilities.maxConcurrency * 3;
        const results = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            warehouse.query('select $1::integer as i', { params: [i] }),
          ),
        );
        expect(results.map((r) => r.rows[0]?.['i'])).toEqual([...Array(count).keys()]);
      });
    });

    describe('lifecycle and errors', () => {
      it('rejects every call after close, and close is idempotent', async () => {
        await warehouse.query('select 1');
        await warehouse.close();
        await warehouse.close();
        const ref = { schema: 's', name: 'n' };
        const calls: Promise<unknown>[] = [
          warehouse.execute('select 1'),
          warehouse.query('select 1'),
          warehouse.transaction(async () => 1),
          warehouse.listSchemas(),
          warehouse.listRelations('s'),
          warehouse.describe(ref),
          warehouse.rowCount(ref),
          warehouse.createSchema('s'),
          warehouse.createTableAs(ref, 'select 1'),
          warehouse.createView(ref, 'select 1'),
          warehouse.replaceViews([{ view: ref, sql: 'select 1' }]),
          warehouse.dropRelation(ref, 'table'),
          (async () => {
            for await (const _ of warehouse.stream('select 1')) {
              // never reached
            }
          })(),
        ];
        for (const call of calls) {
          const error = await rejection(call);
          expect(error.message).toBe('warehouse is closed');
        }
      });

      it('close waits for statements in flight', async () => {
        const running = warehouse.query(sqlFor(warehouse).series(200_000));
        const closing = warehouse.close();
        expect((await running).rows).toHaveLength(200_000);
        await closing;
      });

      it('rejects a SQL error with a WarehouseError carrying the SQL but not the parameters', async () => {
        const sql = 'select $1::text as secret from no_such_table';
        const error = await rejection(warehouse.query(sql, { params: ['hunter2-secret'] }));
        expect(error.sql).toBe(sql);
        expect(error.code).toBe('warehouse');
        expect(error.message).toContain('no_such_table');
        expect(error.cause).toBeDefined();
        expect(JSON.stringify({ message: error.message, sql: error.sql, stack: error.stack })).not.toContain(
          'hunter2-secret',
        );
        // The stack leads back to this test, not only into the engine.
        expect(error.stack).toContain('warehouse-contract');
      });

      it('rejects a syntax error with a useful message', async () => {
        const error = await rejection(warehouse.execute('selec 1'));
        expect(error.message).toMatch(/syntax/i);
        expect(error.sql).toBe('selec 1');
      });
    });
  });
}

/** The schema unqualified names land in. */
function defaultSchema(warehouse: Warehouse): string {
  return warehouse.engine === 'duckdb' ? 'main' : 'public';
}
