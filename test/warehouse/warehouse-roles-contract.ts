/**
 * The contract of the warehouse's data roles, run by every adapter against its real engine:
 * incremental merge (`warehouse.incremental`) and local files (`warehouse.files`). The statements
 * here are plain SQL both engines run; what an engine cannot do is read from its capabilities.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';

/**
 * Defines the role contract for one adapter; `make` returns a fresh, empty warehouse each time.
 *
 * @example
 * warehouseRolesContract('duckdb', async () => createDuckDbWarehouse({ path: ':memory:' }));
 */
export function warehouseRolesContract(name: string, make: () => Promise<Warehouse>): void {
  describe(`warehouse roles contract: ${name}`, () => {
    let warehouse: Warehouse;
    let dir: string;
    const target = { schema: 'slipway_physical', name: 'events__1' };
    const DAY_MS = 86_400_000;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'slipway-roles-'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    beforeEach(async () => {
      warehouse = await make();
      await warehouse.createSchema(target.schema);
      await warehouse.execute(
        `create table ${warehouse.quoteRelation(target)} (id integer, seen_at timestamp, v text)`,
      );
      await warehouse.execute('create table incoming (v text, id integer, seen_at timestamp)');
    });

    afterEach(async () => {
      await warehouse.close();
    });

    async function arrive(rows: readonly [number, string, string][]): Promise<void> {
      for (const [id, at, v] of rows) {
        await warehouse.execute('insert into incoming values ($1, $2, CAST($3 AS TIMESTAMP))', {
          params: [v, id, at],
        });
      }
    }

    async function contents(): Promise<unknown[]> {
      const { rows } = await warehouse.query(
        `select id, v from ${warehouse.quoteRelation(target)} order by id, v`,
      );
      return rows.map((r) => ({ ...r }));
    }

    describe('incremental merge', () => {
      it('appends rows beyond the watermark, by column name, and adds nothing when run again', async () => {
        const settings = { timeColumn: 'seen_at', uniqueKey: [], lookbackMs: undefined };
        await arrive([
          [1, '2024-01-01 00:00:00', 'a'],
          [2, '2024-01-02 00:00:00', 'b'],
        ]);
        expect(await warehouse.incremental.merge(target, 'select * from incoming', settings)).toEqual({
          read: 2,
          added: 2,
          rows: 2,
        });
        await arrive([
          [3, '2024-01-03 00:00:00', 'c'],
          [0, '2023-12-31 00:00:00', 'too old'],
        ]);
        expect(await warehouse.incremental.merge(target, 'select * from incoming', settings)).toEqual({
          read: 1,
          added: 1,
          rows: 3,
        });
        expect(await warehouse.incremental.merge(target, 'select * from incoming', settings)).toEqual({
          read: 0,
          added: 0,
          rows: 3,
        });
        expect(await contents()).toEqual([
          { id: 1, v: 'a' },
          { id: 2, v: 'b' },
          { id: 3, v: 'c' },
        ]);
      });

      it('replaces rows by unique key within the lookback', async () => {
        const settings = { timeColumn: 'seen_at', uniqueKey: ['id'], lookbackMs: DAY_MS };
        await arrive([
          [1, '2024-01-01 00:00:00', 'a'],
          [2, '2024-01-05 00:00:00', 'b'],
        ]);
        await warehouse.incremental.merge(target, 'select * from incoming', settings);
        // A late correction of id 2 within a day of the watermark, and one of id 1 beyond it.
        await warehouse.execute('delete from incoming where id = 2');
        await arrive([
          [2, '2024-01-04 12:00:00', 'b corrected'],
          [1, '2024-01-03 00:00:00', 'a too late'],
        ]);
        const result = await warehouse.incremental.merge(target, 'select * from incoming', settings);
        expect(result).toEqual({ read: 1, added: 0, rows: 2 });
        expect(await contents()).toEqual([
          { id: 1, v: 'a' },
          { id: 2, v: 'b corrected' },
        ]);
      });

      it('rolls the whole refresh back when the query fails', async () => {
        await arrive([[1, '2024-01-01 00:00:00', 'a']]);
        const settings = { timeColumn: 'seen_at', uniqueKey: ['id'], lookbackMs: 0 };
        await warehouse.incremental.merge(target, 'select * from incoming', settings);
        // The row for id 1 is deleted to be replaced, then the insert fails on a column the table
        // does not have: the delete must not stay.
        await arrive([[1, '2024-01-02 00:00:00', 'replacement']]);
        await expect(
          warehouse.incremental.merge(target, "select *, 'x' as not_a_column from incoming", settings),
        ).rejects.toThrow(/not_a_column/);
        expect(await contents()).toEqual([{ id: 1, v: 'a' }]);
      });
    });

    describe('files', () => {
      it('loads a CSV fixture with inferred types, or all as text', async () => {
        const file = join(dir, `${name.replace(/\W/g, '_')}.csv`);
        await writeFile(
          file,
          'id,amount,label,day\n1,2.5,"a, quoted ""x""",2024-01-02\n2,,plain,2024-02-29\n',
        );
        const typed = { schema: warehouse.defaultSchema, name: 'typed' };
        await warehouse.files.createTableFromCsv(typed, file, { allText: false });
        const columns = (await warehouse.describe(typed))?.map((c) => [c.name, c.type]);
        expect(columns).toEqual([
          ['id', 'BIGINT'],
          ['amount', expect.stringMatching(/^DOUBLE( PRECISION)?$/)],
          ['label', expect.stringMatching(/^(VARCHAR|TEXT)$/)],
          ['day', 'DATE'],
        ]);
        const { rows } = await warehouse.query(`select * from ${warehouse.quoteRelation(typed)} order by id`);
        expect(rows.map((r) => ({ ...r }))).toEqual([
          { id: 1, amount: 2.5, label: 'a, quoted "x"', day: '2024-01-02' },
          { id: 2, amount: null, label: 'plain', day: '2024-02-29' },
        ]);
        const text = { schema: warehouse.defaultSchema, name: 'as_text' };
        await warehouse.files.createTableFromCsv(text, file, { allText: true });
        const { rows: texts } = await warehouse.query(
          `select id, amount from ${warehouse.quoteRelation(text)} order by id`,
        );
        expect(texts.map((r) => ({ ...r }))).toEqual([
          { id: '1', amount: '2.5' },
          { id: '2', amount: null },
        ]);
      });

      it('reads file sources where the engine reads files, and refuses clearly where not', async () => {
        const file = join(dir, 'source.csv');
        await writeFile(file, 'n\n1\n2\n');
        if (warehouse.capabilities.readsLocalFiles) {
          const { rows } = await warehouse.query(`${warehouse.files.selectFiles(file, 'csv')} order by n`);
          expect(rows.map((r) => Number(r['n']))).toEqual([1, 2]);
          return;
        }
        let error: unknown;
        try {
          warehouse.files.selectFiles(file, 'csv');
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toContain(
          warehouse.engine === 'postgres' ? 'PostgreSQL' : warehouse.engine,
        );
        expect((error as InvalidArgumentError).hint).toContain('table:');
      });
    });
  });
}
