/**
 * The environment-switch contract: what every engine's `warehouse.environments` must do against
 * its real engine, whatever its mechanism (DuckDB's pointer macro, PostgreSQL's views). Physical
 * tables are made with `warehouse.createTableAs`; the few hand edits a test needs (drift) are
 * plain SQL chosen by `warehouse.engine`.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkFailedError } from '../../src/core/errors.js';
import type { EnvironmentModels } from '../../src/core/release.js';
import { PHYSICAL_SCHEMA } from '../../src/core/warehouse-layout.js';
import type { Row, SqlValue, Warehouse } from '../../src/warehouse/warehouse.js';

/** Pointers of an environment to physical tables named `model__fingerprint`. */
function models(tables: Record<string, string>): EnvironmentModels {
  return Object.fromEntries(
    Object.entries(tables).map(([model, table]) => [
      model,
      { table, fingerprint: table.split('__')[1] ?? '' },
    ]),
  );
}

function plain(rows: readonly Row[]): Record<string, SqlValue>[] {
  return rows.map((row) => ({ ...row }));
}

/**
 * Defines the contract tests for one engine. `make` returns a fresh, empty warehouse each time;
 * the suite closes it after each test.
 *
 * @example
 * environmentSwitchContract('duckdb :memory:', async () => createDuckDbWarehouse({ path: ':memory:' }));
 */
export function environmentSwitchContract(name: string, make: () => Promise<Warehouse>): void {
  describe(`environment switch contract: ${name}`, () => {
    let warehouse: Warehouse;

    const physical = (table: string) => ({ schema: PHYSICAL_SCHEMA, name: table });
    const table = (name: string, sql: string) => warehouse.createTableAs(physical(name), sql);
    const view = (environment: string, model: string) =>
      warehouse.quoteRelation({ schema: environment, name: model });
    const read = async (sql: string) => plain((await warehouse.query(sql)).rows);
    const switchTo = (
      environment: string,
      releaseId: string,
      tables: Record<string, string>,
      removed: string[] = [],
    ) => warehouse.environments.switch({ environment, releaseId, models: models(tables), removed });
    /** The view's columns as the catalog lists them (what BI tools and `slipway diff` read). */
    const catalogColumns = async (environment: string, model: string) =>
      (
        await warehouse.query(
          `select column_name from information_schema.columns
           where table_schema = $1 and table_name = $2 order by ordinal_position`,
          { params: [environment, model] },
        )
      ).rows.map((r) => String(r['column_name']));
    /** Drops a relation behind Slipway's back (PostgreSQL needs CASCADE when views read it). */
    const dropByHand = (kind: 'table' | 'view', relation: string) =>
      warehouse.execute(
        `drop ${kind} ${relation}${warehouse.engine === 'postgres' && kind === 'table' ? ' cascade' : ''}`,
      );

    beforeEach(async () => {
      warehouse = await make();
      await warehouse.createSchema(PHYSICAL_SCHEMA);
      await table('orders__1', 'select * from (values (1, 10), (2, 20)) as t(id, amount)');
      await table(
        'orders__2',
        "select id, amount, 'EUR' as currency from (values (1, 11), (2, 21), (3, 31)) as t(id, amount)",
      );
      await table('totals__1', 'select 30 as total');
      await table('totals__2', 'select 63 as total');
      await table('extra__1', 'select 1 as one');
      await warehouse.environments.prepare();
    });

    afterEach(async () => {
      await warehouse.close();
    });

    it('re-points every view of the environment at the release it switches to', async () => {
      expect(await warehouse.environments.switchedRelease('prod')).toBeUndefined();
      await switchTo('prod', 'r1', { orders: 'orders__1', totals: 'totals__1' });
      expect(await read(`select sum(amount) as s, count(*) as n from ${view('prod', 'orders')}`)).toEqual([
        { s: 30, n: 2 },
      ]);
      expect(await warehouse.environments.switchedRelease('prod')).toBe('r1');

      await switchTo('prod', 'r2', { orders: 'orders__2', totals: 'totals__2' });
      expect(await read(`select count(*) as n, min(currency) as c from ${view('prod', 'orders')}`)).toEqual([
        { n: 3, c: 'EUR' },
      ]);
      expect(await read(`select total from ${view('prod', 'totals')}`)).toEqual([{ total: 63 }]);
      expect(await warehouse.environments.switchedRelease('prod')).toBe('r2');
    });

    it('creates the views of models gained and drops those of models removed', async () => {
      await switchTo('prod', 'r1', { orders: 'orders__1', totals: 'totals__1' });
      await switchTo('prod', 'r2', { orders: 'orders__1', extra: 'extra__1' }, ['totals']);
      const relations = (await warehouse.listRelations('prod')).map((r) => `${r.name} ${r.kind}`);
      expect(relations).toContain('orders view');
      expect(relations).toContain('extra view');
      expect(relations.some((r) => r.startsWith('totals '))).toBe(false);
      expect(await read(`select one from ${view('prod', 'extra')}`)).toEqual([{ one: 1 }]);
    });

    it('keeps environments apart', async () => {
      await switchTo('prod', 'p1', { orders: 'orders__1' });
      await switchTo('staging', 's1', { orders: 'orders__2' });
      expect(await read(`select count(*) as n from ${view('prod', 'orders')}`)).toEqual([{ n: 2 }]);
      expect(await read(`select count(*) as n from ${view('staging', 'orders')}`)).toEqual([{ n: 3 }]);
      expect(await warehouse.environments.switchedRelease('prod')).toBe('p1');
      expect(await warehouse.environments.switchedRelease('staging')).toBe('s1');
    });

    it('shows readers of two related views all old or all new, across many switches', async () => {
      for (const v of [1, 2]) {
        await table(`left__${v}`, `select ${v} as v`);
        await table(`right__${v}`, `select ${v} as v`);
      }
      await switchTo('prod', 'r0', { left: 'left__1', right: 'right__1' });
      const sql = `select (select max(v) from ${view('prod', 'left')}) as l, (select max(v) from ${view('prod', 'right')}) as r`;
      let switching = true;
      const seen: { l: SqlValue; r: SqlValue }[] = [];
      const reader = async (): Promise<void> => {
        // At least a few reads each, and reading for as long as the switches go on.
        for (let i = 0; switching || i < 5; i++) {
          const [row] = await read(sql);
          seen.push({ l: row?.['l'] ?? null, r: row?.['r'] ?? null });
        }
      };
      const readers = [reader(), reader()];
      try {
        for (let i = 1; i <= 20; i++) {
          const v = (i % 2) + 1;
          await switchTo('prod', `r${i}`, { left: `left__${v}`, right: `right__${v}` });
        }
      } finally {
        switching = false;
      }
      await Promise.all(readers);
      expect(seen.length).toBeGreaterThanOrEqual(10);
      expect(seen.filter((s) => s.l !== s.r)).toEqual([]);
      expect(seen.every((s) => s.l === 1 || s.l === 2)).toBe(true);
      expect(await read(sql)).toEqual([{ l: 1, r: 1 }]);
    });

    it('refuses a release whose physical table is missing, and changes nothing', async () => {
      await switchTo('prod', 'r1', { orders: 'orders__1', totals: 'totals__1' });
      const failure = await switchTo('prod', 'r2', {
        orders: 'orders__2',
        totals: 'totals__2',
        ghost: 'ghost__1',
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkFailedError);
      // The message names the missing table (its wording is the adapter's).
      expect((failure as Error).message).toContain('ghost__1');
      expect(await read(`select sum(amount) as s from ${view('prod', 'orders')}`)).toEqual([{ s: 30 }]);
      expect(await read(`select total from ${view('prod', 'totals')}`)).toEqual([{ total: 30 }]);
      expect((await warehouse.listRelations('prod')).map((r) => r.name)).not.toContain('ghost');
      expect(await warehouse.environments.switchedRelease('prod')).toBe('r1');
      expect(await catalogColumns('prod', 'orders')).toEqual(['id', 'amount']);
    });

    it('forgets the release it showed; the next switch writes every view again', async () => {
      await switchTo('prod', 'r1', { orders: 'orders__1' });
      await warehouse.environments.forget('prod');
      expect(await warehouse.environments.switchedRelease('prod')).toBeUndefined();
      expect(await warehouse.environments.switchedRelease('staging')).toBeUndefined();
      // What the dev loop's `slipway build` does after forgetting: write a plain view.
      await dropByHand('view', view('prod', 'orders'));
      await warehouse.execute(`create view ${view('prod', 'orders')} as select 42 as id`);
      await switchTo('prod', 'r2', { orders: 'orders__1' });
      expect(await read(`select sum(amount) as s from ${view('prod', 'orders')}`)).toEqual([{ s: 30 }]);
      expect(await warehouse.environments.switchedRelease('prod')).toBe('r2');
      const inspection = await warehouse.environments.inspect('prod', ['orders']);
      expect(inspection.views.get('orders')).toBe('orders__1');
    });

    it('inspects what the views read: a dropped view, a hand-edited view, a dropped table', async () => {
      await table('gone__1', 'select 1 as x');
      await switchTo('qa', 'q1', { orders: 'orders__1', totals: 'totals__1', gone: 'gone__1' });
      const all = ['orders', 'totals', 'gone'];
      const clean = await warehouse.environments.inspect('qa', all);
      expect(Object.fromEntries(clean.views)).toEqual({
        orders: 'orders__1',
        totals: 'totals__1',
        gone: 'gone__1',
      });
      expect(['orders__1', 'totals__1', 'gone__1'].every((t) => clean.physical.has(t))).toBe(true);

      await dropByHand('view', view('qa', 'orders'));
      await dropByHand('view', view('qa', 'totals'));
      await warehouse.execute(`create view ${view('qa', 'totals')} as select 30 as total`);
      await dropByHand('table', warehouse.quoteRelation(physical('gone__1')));
      const drifted = await warehouse.environments.inspect('qa', all);
      expect(drifted.views.has('orders')).toBe(false);
      expect(drifted.views.get('totals')).toBeNull();
      expect(drifted.physical.has('gone__1')).toBe(false);
      expect(drifted.physical.has('orders__1')).toBe(true);
      // Only the models asked about are reported.
      expect([...(await warehouse.environments.inspect('qa', ['totals'])).views.keys()]).toEqual(['totals']);
    });

    it('puts hand-edited and dropped views back when asked to rewrite them', async () => {
      await switchTo('qa', 'q1', { orders: 'orders__1', totals: 'totals__1' });
      await dropByHand('view', view('qa', 'orders'));
      await dropByHand('view', view('qa', 'totals'));
      await warehouse.execute(`create view ${view('qa', 'totals')} as select 99 as total`);
      await warehouse.environments.switch({
        environment: 'qa',
        releaseId: 'q1',
        models: models({ orders: 'orders__1', totals: 'totals__1' }),
        removed: [],
        rewriteViews: true,
      });
      const repaired = await warehouse.environments.inspect('qa', ['orders', 'totals']);
      expect(Object.fromEntries(repaired.views)).toEqual({ orders: 'orders__1', totals: 'totals__1' });
      expect(await read(`select total from ${view('qa', 'totals')}`)).toEqual([{ total: 30 }]);
      expect(await read(`select sum(amount) as s from ${view('qa', 'orders')}`)).toEqual([{ s: 30 }]);
      expect(await warehouse.environments.switchedRelease('qa')).toBe('q1');
    });

    it('keeps the catalog truthful: each view lists the columns it returns after every switch', async () => {
      await table('orders__3', 'select * from (values (5, 50)) as t(id, amount)');
      await switchTo('prod', 'r1', { orders: 'orders__1' });
      expect(await catalogColumns('prod', 'orders')).toEqual(['id', 'amount']);

      // A column added, with nobody reading the view in between.
      await switchTo('prod', 'r2', { orders: 'orders__2', totals: 'totals__1' });
      expect(await catalogColumns('prod', 'orders')).toEqual(['id', 'amount', 'currency']);
      expect(await catalogColumns('prod', 'totals')).toEqual(['total']);
      const described = await warehouse.describe({ schema: 'prod', name: 'orders' });
      expect(described?.map((c) => `${c.name} ${c.type}`)).toEqual(
        (await warehouse.describe(physical('orders__2')))?.map((c) => `${c.name} ${c.type}`),
      );

      // And back (a rollback), then to another table with the original columns.
      await switchTo('prod', 'r3', { orders: 'orders__1', totals: 'totals__1' });
      expect(await catalogColumns('prod', 'orders')).toEqual(['id', 'amount']);
      await switchTo('prod', 'r4', { orders: 'orders__3', totals: 'totals__1' });
      expect(await catalogColumns('prod', 'orders')).toEqual(['id', 'amount']);
      expect(await read(`select * from ${view('prod', 'orders')}`)).toEqual([{ id: 5, amount: 50 }]);

      await switchTo('prod', 'r5', { orders: 'orders__2', totals: 'totals__1' });
      expect(await catalogColumns('prod', 'orders')).toEqual(['id', 'amount', 'currency']);
      expect(await read(`select count(*) as n, min(currency) as c from ${view('prod', 'orders')}`)).toEqual([
        { n: 3, c: 'EUR' },
      ]);
    });
  });
}
