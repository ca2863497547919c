/**
 * PostgreSQL against the warehouse contract (one database for the file, every user schema dropped
 * before each test), plus what only PostgreSQL has: its capabilities, result type names, cursor
 * streams, and view/table replacement under PostgreSQL's binding of views to tables.
 */

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePostgresStats } from '../../src/warehouse/postgres/postgres-check-dialect.js';
import { createPostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.js';
import { raw, renderSql, sql } from '../../src/warehouse/sql-fragment.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { warehouseContract } from './warehouse-contract.js';
import { warehouseRolesContract } from './warehouse-roles-contract.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await freshDatabase('slipway_pgwh');
});

afterAll(async () => {
  await database?.drop();
});

/** Drops every schema but PostgreSQL's own and creates an empty `public`. */
async function emptyDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname <> 'information_schema' and nspname !~ '^pg_'",
    );
    const drops = rows.map((r) => `DROP SCHEMA "${r.nspname.replaceAll('"', '""')}" CASCADE`);
    await client.query([...drops, 'CREATE SCHEMA public'].join(';\n'));
  } finally {
    await client.end();
  }
}

async function freshWarehouse(poolSize = 4): Promise<Warehouse> {
  await emptyDatabase(database.url);
  return createPostgresWarehouse({ url: database.url, poolSize });
}

warehouseContract('postgres', () => freshWarehouse());
warehouseRolesContract('postgres', () => freshWarehouse());

describe('postgres specifics', () => {
  it('declares its capabilities honestly', () => {
    const warehouse = createPostgresWarehouse({ url: 'postgres://nobody@127.0.0.1:1/none', poolSize: 6 });
    expect(warehouse.engine).toBe('postgres');
    expect(warehouse.defaultSchema).toBe('public');
    expect(warehouse.capabilities).toEqual({
      cancel: true,
      readsLocalFiles: false,
      maxConcurrency: 6,
    });
  });

  it('reports the engine type names of result columns', async () => {
    const warehouse = await freshWarehouse();
    try {
      const { columns } = await warehouse.query(
        "select 1::bigint as b, 1.5::numeric(10,2) as n, timestamptz '2024-01-01 00:00:00+00' as t, array[1]::integer[] as l, 'a'::varchar(3) as v, 1::int as a, 2::int as a",
      );
      expect(columns.map((c) => [c.name, c.type])).toEqual([
        ['b', 'BIGINT'],
        ['n', 'NUMERIC(10,2)'],
        ['t', 'TIMESTAMP WITH TIME ZONE'],
        ['l', 'INTEGER[]'],
        ['v', 'CHARACTER VARYING(3)'],
        ['a', 'INTEGER'],
        ['a_1', 'INTEGER'],
      ]);
    } finally {
      await warehouse.close();
    }
  });

  it('reads arrays, big integers inside them, bytea and json', async () => {
    const warehouse = await freshWarehouse();
    try {
      const { rows } = await warehouse.query(
        `select array[1, 9007199254740993]::bigint[] as bigs, array[date '2024-01-02', null] as days,
           array[timestamptz '2024-01-02 03:04:05+01'] as stamps, '\\x0102'::bytea as bytes,
           '{"a": [1, "x"]}'::jsonb as doc, 1e400::numeric > 0 as huge`,
      );
      expect({ ...rows[0] }).toEqual({
        bigs: [1, 9007199254740993n],
        days: ['2024-01-02', null],
        stamps: ['2024-01-02T02:04:05Z'],
        bytes: '\\x0102',
        doc: { a: [1, 'x'] },
        huge: true,
      });
    } finally {
      await warehouse.close();
    }
  });

  it('replaces a table that views read, keeping the views', async () => {
    const warehouse = await freshWarehouse();
    try {
      const table = { schema: 'slipway_physical', name: 'orders__1' };
      await warehouse.createSchema(table.schema);
      await warehouse.createTableAs(table, 'select 1 as id');
      await warehouse.createView(
        { schema: 'prod', name: 'orders' },
        `select * from ${warehouse.quoteRelation(table)}`,
      );
      await warehouse.createView({ schema: 'prod', name: 'order_ids' }, 'select id from prod.orders');
      await warehouse.createTableAs(table, 'select 2 as id union all select 3');
      const { rows } = await warehouse.query('select id from prod.order_ids order by id');
      expect(rows.map((r) => r['id'])).toEqual([2, 3]);
      expect(await warehouse.listRelations('prod')).toEqual([
        { schema: 'prod', name: 'order_ids', kind: 'view' },
        { schema: 'prod', name: 'orders', kind: 'view' },
      ]);
    } finally {
      await warehouse.close();
    }
  });

  it('replaces a view whose columns change, and keeps the catalog truthful', async () => {
    const warehouse = await freshWarehouse();
    try {
      const view = { schema: 'prod', name: 'v' };
      await warehouse.createView(view, 'select 1 as a, 2 as b');
      await warehouse.createView(view, "select 'x' as c");
      expect(await warehouse.describe(view)).toEqual([{ name: 'c', type: 'TEXT', nullable: true }]);
      const { rows } = await warehouse.query(
        "select column_name from information_schema.columns where table_schema = 'prod' and table_name = 'v'",
      );
      expect(rows.map((r) => r['column_name'])).toEqual(['c']);
    } finally {
      await warehouse.close();
    }
  });

  it('cancels a stream between batches and stays usable', async () => {
    const warehouse = await freshWarehouse(1);
    try {
      const controller = new AbortController();
      let batches = 0;
      const consume = async (): Promise<void> => {
        for await (const _ of warehouse.stream('select i from generate_series(1, 1000000) as g(i)', {
          batchSize: 1000,
          signal: controller.signal,
        })) {
          batches += 1;
          if (batches === 3) controller.abort();
        }
      };
      await expect(consume()).rejects.toThrow(/cancelled/);
      expect(batches).toBe(3);
      expect((await warehouse.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await warehouse.close();
    }
  });

  it('close does not wait for a stream its consumer left paused', async () => {
    const warehouse = await freshWarehouse(1);
    const iterator = warehouse
      .stream('select i from generate_series(1, 100000) as g(i)', { batchSize: 10 })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(10);
    await warehouse.close();
    await expect(iterator.next()).rejects.toThrow('warehouse is closed');
  });

  it('refuses a transaction whose failed statement the body swallowed', async () => {
    const warehouse = await freshWarehouse();
    try {
      await warehouse.execute('create table kept (x integer)');
      const error = await warehouse
        .transaction(async (tx) => {
          await tx.execute('insert into kept values (1)');
          await tx.execute('insert into missing values (1)').catch(() => undefined);
        })
        .catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/rolled back/);
      expect(await warehouse.rowCount({ schema: 'public', name: 'kept' })).toBe(0);
    } finally {
      await warehouse.close();
    }
  });

  describe('check dialect', () => {
    it('reads distinct estimates (never bounds) from pg_stats, and fails on a view', async () => {
      const warehouse = await freshWarehouse();
      try {
        await warehouse.execute(
          'create table facts as select i as id, i % 7 as "odd ""name""" from generate_series(1, 5000) as g(i)',
        );
        await warehouse.execute('create view facts_view as select * from facts');
        const { statistics, sample } = warehouse.checkDialect;
        const stats = async (relation: string, column: string): Promise<unknown> => {
          const expression = statistics?.expression(raw(warehouse.quoteIdentifier(column)));
          const { text, params } = renderSql(
            sql`SELECT ${expression ?? raw('NULL')} AS s FROM ${raw(relation)} LIMIT 1`,
          );
          return (await warehouse.query(text, { params })).rows[0]?.['s'];
        };
        expect(await stats('facts', 'id')).toBeNull(); // no ANALYZE yet: no statistics
        await warehouse.execute('analyze facts');
        expect(parsePostgresStats(String(await stats('facts', 'id')))).toEqual({ distinct: 5000 });
        expect(parsePostgresStats(String(await stats('facts', 'odd "name"')))).toEqual({ distinct: 7 });
        await expect(stats('facts_view', 'id')).rejects.toThrow(/tableoid/);
        const sampled = renderSql(
          sql`SELECT count(*) AS n FROM ${sample?.(raw('facts'), 50) ?? raw('facts')}`,
        );
        const n = Number((await warehouse.query(sampled.text, { params: sampled.params })).rows[0]?.['n']);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThan(5000);
      } finally {
        await warehouse.close();
      }
    });

    it('reads function stability from pg_proc', async () => {
      const warehouse = await freshWarehouse();
      try {
        const fragment = warehouse.checkDialect.functionStability?.(['lower', 'random', 'now', 'no_such_fn']);
        const { text, params } = renderSql(fragment ?? sql`SELECT 1 WHERE false`);
        const { rows } = await warehouse.query(text, { params });
        expect(rows.map((r) => r['function_name']).sort()).toEqual(['lower', 'now']);
      } finally {
        await warehouse.close();
      }
    });
  });
});
