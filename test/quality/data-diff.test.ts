/** Data diff on both engines: the same counts, shares and examples from DuckDB and PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffData } from '../../src/quality/data-diff.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { createPostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';

const engines: readonly { readonly name: string; readonly open: () => Promise<Warehouse> }[] = [
  { name: 'duckdb', open: async () => createDuckDbWarehouse({ path: ':memory:', threads: 1 }) },
  {
    name: 'postgres',
    open: async () => {
      database = await freshDatabase('slipway_diff');
      return createPostgresWarehouse({ url: database.url });
    },
  },
];
let database: TestDatabase | undefined;

describe.each(engines)('data diff on $name', ({ open }) => {
  let warehouse: Warehouse;
  beforeAll(async () => {
    warehouse = await open();
    await warehouse.execute('create schema prod');
    await warehouse.execute('create schema ci');
    await warehouse.execute(`create table prod.m as select * from (values
    (1, 'a', 10.0, 'x'), (2, 'b', 20.0, 'y'), (3, 'c', 30.0, 'z'), (4, null, CAST('NaN' AS DOUBLE PRECISION), 'w'), (null, 'n', 1.0, 'v')
  ) v(id, name, amount, dropped)`);
    await warehouse.execute(`create table ci.m as select * from (values
    (1, 'a', 10.0, 1), (2, 'B', 20.0, 2), (3, 'c', 31.0, 3), (4, null, CAST('NaN' AS DOUBLE PRECISION), 4), (5, 'e', 50.0, 5), (null, 'n', 1.0, 6)
  ) v(id, name, amount, added)`);
  });
  afterAll(async () => {
    await warehouse.close();
    await database?.drop();
    database = undefined;
  });

  describe('diffData', () => {
    it('finds schema changes, added/removed/changed rows and per-column shares in SQL', async () => {
      const d = await diffData({
        warehouse,
        a: { schema: 'prod', name: 'm' },
        b: { schema: 'ci', name: 'm' },
        key: ['id'],
      });
      expect(d.schema.added.map((c) => c.name)).toEqual(['added']);
      expect(d.schema.removed.map((c) => c.name)).toEqual(['dropped']);
      expect(d).toMatchObject({ rowsA: 5, rowsB: 6, added: 1, removed: 0, changed: 2, unchanged: 3 });
      expect(d.columns).toEqual([
        { name: 'name', changed: 1, share: 0.2 },
        { name: 'amount', changed: 1, share: 0.2 },
      ]);
      expect(d.examples.added).toEqual([{ id: 5, name: 'e', amount: 50, added: 5 }]);
      expect(d.examples.changed[0]).toEqual({
        id: 2,
        'name (a)': 'b',
        'name (b)': 'B',
        'amount (a)': 20,
        'amount (b)': 20,
      });
    });

    it('rejects a key that is not in both versions', async () => {
      await expect(
        diffData({
          warehouse,
          a: { schema: 'prod', name: 'm' },
          b: { schema: 'ci', name: 'm' },
          key: ['added'],
        }),
      ).rejects.toThrow(/not in both versions/);
    });
  });
});
