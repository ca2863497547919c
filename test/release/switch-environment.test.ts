/**
 * The environment switch on a real DuckDB file: views read through the environment's pointer,
 * a switch re-points all of them at once, puts back views something else rewrote, drops removed
 * ones, and changes nothing when it fails; drift sees a hand-edited view or pointer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentModels } from '../../src/core/release.js';
import { detectDrift, repairViews } from '../../src/operator/drift.js';
import { PHYSICAL_SCHEMA } from '../../src/release/physical-layout.js';
import {
  environmentPointer,
  readsThroughPointer,
} from '../../src/warehouse/duckdb/duckdb-environment-pointer.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import type { Row, Warehouse } from '../../src/warehouse/warehouse.js';

let dir: string;
let warehouse: Warehouse;

const models = (tables: Record<string, string>): EnvironmentModels =>
  Object.fromEntries(
    Object.entries(tables).map(([m, table]) => [m, { table, fingerprint: table.split('__')[1] ?? '' }]),
  );

async function rows(sql: string): Promise<readonly Row[]> {
  return (await warehouse.query(sql)).rows;
}

/** Each view of the environment, and whether it reads its model through the pointer. */
async function pointerViews(environment: string): Promise<Record<string, boolean>> {
  const found = await warehouse.query('select view_name, sql from duckdb_views() where schema_name = $1', {
    params: [environment],
  });
  return Object.fromEntries(
    found.rows.map((r) => [
      String(r['view_name']),
      readsThroughPointer(String(r['sql']), environment, String(r['view_name'])),
    ]),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-switch-'));
  warehouse = createDuckDbWarehouse({ path: path.join(dir, 'warehouse.duckdb') });
  await warehouse.createSchema(PHYSICAL_SCHEMA);
  await warehouse.execute(`
    create table slipway_physical.orders__1 as select * from (values (1, 10), (2, 20)) t(id, amount);
    create table slipway_physical.orders__2 as select *, 'EUR' as currency from (values (1, 11), (2, 21), (3, 31)) t(id, amount);
    create table slipway_physical.totals__1 as select 30 as total;
    create view slipway_physical.totals__2 as select sum(amount) as total from slipway_physical.orders__2;
    create table slipway_physical.extra__1 as select 1 as one;
  `);
  // A warehouse an earlier Slipway switched: the marker without its `views` column, plain views.
  await warehouse.execute(`
    create schema slipway_meta;
    create table slipway_meta.environment_releases (environment VARCHAR PRIMARY KEY, release_id VARCHAR NOT NULL, switched_at TIMESTAMPTZ NOT NULL);
    insert into slipway_meta.environment_releases values ('legacy', 'old', now());
    create schema legacy;
    create view legacy.orders as select * from slipway_physical.orders__1;
  `);
  await warehouse.environments.prepare();
});
afterAll(async () => {
  await warehouse?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('switching an environment', () => {
  const first = models({ orders: 'orders__1', totals: 'totals__1' });
  const second = models({ orders: 'orders__2', totals: 'totals__2' });

  it('re-points every view through the pointer in one switch; views take the new columns', async () => {
    await warehouse.environments.switch({ environment: 'prod', releaseId: 'r1', models: first, removed: [] });
    expect(await rows('select sum(amount) as s from prod.orders')).toEqual([{ s: 30 }]);
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r1');

    await warehouse.environments.switch({
      environment: 'prod',
      releaseId: 'r2',
      models: second,
      removed: [],
    });
    expect(await rows('select count(*) as n, min(currency) as c from prod.orders')).toEqual([
      { n: 3, c: 'EUR' },
    ]);
    expect(await rows('select total from prod.totals')).toEqual([{ total: 63 }]);
    expect((await warehouse.describe({ schema: 'prod', name: 'orders' }))?.map((c) => c.name)).toEqual([
      'id',
      'amount',
      'currency',
    ]);
    const pointer = warehouse.quoteRelation(environmentPointer('prod'));
    expect(await rows(`select ${pointer}('orders') as o, ${pointer}('totals') as t`)).toEqual([
      { o: '"slipway_physical"."orders__2"', t: '"slipway_physical"."totals__2"' },
    ]);
    expect(await pointerViews('prod')).toEqual({ orders: true, totals: true });
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r2');
  });

  it('writes every view again after something else wrote them, and drops the views of removed models', async () => {
    // What the dev loop's `slipway build` does: forget the release, then write plain views.
    await warehouse.environments.forget('prod');
    await warehouse.execute('create or replace view prod.orders as select 42 as id');
    await warehouse.environments.switch({
      environment: 'prod',
      releaseId: 'r3',
      models: models({ orders: 'orders__1', extra: 'extra__1' }),
      removed: ['totals'],
    });
    expect(await rows('select sum(amount) as s from prod.orders')).toEqual([{ s: 30 }]);
    expect(await rows('select one from prod.extra')).toEqual([{ one: 1 }]);
    expect(await pointerViews('prod')).toEqual({ orders: true, extra: true });
  });

  it('changes nothing when the switch fails', async () => {
    const before = await rows('select sum(amount) as s from prod.orders');
    await expect(
      warehouse.environments.switch({
        environment: 'prod',
        releaseId: 'r4',
        models: models({ orders: 'orders__2', extra: 'extra__1', ghost: 'ghost__1' }),
        removed: [],
      }),
    ).rejects.toThrow(/1 of its tables no longer exist \(ghost__1\)/);
    expect(await rows('select sum(amount) as s from prod.orders')).toEqual(before);
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r3');
    expect(await pointerViews('prod')).toEqual({ orders: true, extra: true });
  });

  it('upgrades an environment an earlier Slipway switched with plain views', async () => {
    expect(await warehouse.environments.switchedRelease('legacy')).toBe('old');
    await warehouse.environments.switch({
      environment: 'legacy',
      releaseId: 'new',
      models: second,
      removed: [],
    });
    expect(await pointerViews('legacy')).toEqual({ orders: true, totals: true });
    expect(await rows('select count(*) as n from legacy.orders')).toEqual([{ n: 3 }]);
  });

  it('keeps environments apart: each has its own pointer', async () => {
    await warehouse.environments.switch({
      environment: 'staging',
      releaseId: 's1',
      models: second,
      removed: [],
    });
    expect(await rows('select count(*) as n from staging.orders')).toEqual([{ n: 3 }]);
    expect(await rows('select count(*) as n from prod.orders')).toEqual([{ n: 2 }]);
  });
});

describe('a warehouse with a single connection', () => {
  it('switches, and refuses a missing table, without waiting on itself', async () => {
    const single = createDuckDbWarehouse({ path: path.join(dir, 'single.duckdb'), poolSize: 1 });
    try {
      await single.createSchema(PHYSICAL_SCHEMA);
      await single.execute('create table slipway_physical.orders__1 as select 1 as id');
      await single.environments.prepare();
      await single.environments.switch({
        environment: 'prod',
        releaseId: 'r1',
        models: models({ orders: 'orders__1' }),
        removed: [],
      });
      expect((await single.query('select id from prod.orders')).rows).toEqual([{ id: 1 }]);
      await expect(
        single.environments.switch({
          environment: 'prod',
          releaseId: 'r2',
          models: models({ orders: 'orders__1', ghost: 'ghost__1' }),
          removed: [],
        }),
      ).rejects.toThrow(/1 of its tables no longer exist \(ghost__1\)/);
      expect(await single.environments.switchedRelease('prod')).toBe('r1');
    } finally {
      await single.close();
    }
  });
});

describe('drift', () => {
  const pointer = {
    environment: 'qa',
    releaseId: 'q1',
    models: models({ orders: 'orders__1', totals: 'totals__1' }),
    updatedAt: new Date().toISOString(),
  };

  it('sees a view rewritten by hand, a pointer re-pointed by hand and a dropped view; repair puts them back', async () => {
    await warehouse.environments.switch({ ...pointer, removed: [] });
    expect(await detectDrift(warehouse, pointer)).toEqual([]);

    const macro = warehouse.quoteRelation(environmentPointer('qa'));
    await warehouse.execute(
      `create or replace macro ${macro}(model) as case model when 'orders' then '"slipway_physical"."orders__2"' else '"slipway_physical"."totals__1"' end`,
    );
    expect(await detectDrift(warehouse, pointer)).toEqual([
      { relation: 'qa.orders', problem: 'view re-pointed', model: 'orders' },
    ]);

    await warehouse.execute('create or replace view qa.totals as select 30 as total');
    await warehouse.execute('drop view qa.orders');
    expect(await detectDrift(warehouse, pointer)).toEqual([
      { relation: 'qa.orders', problem: 'view missing', model: 'orders' },
      { relation: 'qa.totals', problem: 'view re-pointed', model: 'totals' },
    ]);

    await repairViews(warehouse, pointer);
    expect(await detectDrift(warehouse, pointer)).toEqual([]);
    expect(await rows('select sum(amount) as s from qa.orders')).toEqual([{ s: 30 }]);
  });

  it('sees a pointer dropped by hand as every view re-pointed', async () => {
    await warehouse.environments.switch({ ...pointer, removed: [] });
    await warehouse.execute(`drop macro ${warehouse.quoteRelation(environmentPointer('qa'))}`);
    expect((await detectDrift(warehouse, pointer)).map((d) => `${d.relation} ${d.problem}`)).toEqual([
      'qa.orders view re-pointed',
      'qa.totals view re-pointed',
    ]);
    await repairViews(warehouse, pointer);
    expect(await detectDrift(warehouse, pointer)).toEqual([]);
  });

  it('reports a dropped physical table', async () => {
    await warehouse.execute('create table slipway_physical.gone__1 as select 1 as x');
    const withGone = { ...pointer, models: models({ orders: 'orders__1', totals: 'gone__1' }) };
    await warehouse.environments.switch({ ...withGone, removed: [] });
    await warehouse.execute('drop table slipway_physical.gone__1');
    expect(await detectDrift(warehouse, withGone)).toEqual([
      { relation: 'slipway_physical.gone__1', problem: 'table missing', model: 'totals' },
    ]);
  });
});
