/**
 * PostgreSQL's environment switch against a real server: re-pointing views in one transaction,
 * readers that see all old or all new, a missing table that refuses the switch and changes nothing,
 * the marker, forgetting it, drift inspection, and `information_schema.columns` after switches
 * that change a view's columns; and the shared environment-switch contract, on a pool of
 * connections and on one.
 */

import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkFailedError } from '../../src/core/errors.js';
import type { EnvironmentModels } from '../../src/core/release.js';
import { createPostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { environmentSwitchContract } from './environment-switch-contract.js';

const PHYSICAL = 'slipway_physical';
let database: TestDatabase;
let warehouse: Warehouse;

beforeAll(async () => {
  database = await freshDatabase('slipway_pgswitch');
});

afterAll(async () => {
  await database?.drop();
});

/** Drops every schema but PostgreSQL's own, and `public` comes back empty. */
async function emptyDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname <> 'information_schema' and nspname !~ '^pg_'",
    );
    await client.query(
      [
        ...rows.map((r) => `DROP SCHEMA "${r.nspname.replaceAll('"', '""')}" CASCADE`),
        'CREATE SCHEMA public',
      ].join(';\n'),
    );
  } finally {
    await client.end();
  }
}

environmentSwitchContract('postgres', async () => {
  await emptyDatabase();
  return createPostgresWarehouse({ url: database.url, poolSize: 4 });
});

environmentSwitchContract('postgres single connection', async () => {
  await emptyDatabase();
  return createPostgresWarehouse({ url: database.url, poolSize: 1 });
});

describe('postgres environment switch', () => {
  beforeEach(async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        'DROP SCHEMA IF EXISTS prod CASCADE; DROP SCHEMA IF EXISTS slipway_physical CASCADE; DROP SCHEMA IF EXISTS slipway_meta CASCADE',
      );
    } finally {
      await client.end();
    }
    warehouse = createPostgresWarehouse({ url: database.url, poolSize: 4 });
    await warehouse.createSchema(PHYSICAL);
    await warehouse.environments.prepare();
  });

  afterEach(async () => {
    await warehouse.close();
  });

  async function table(name: string, select: string): Promise<void> {
    await warehouse.createTableAs({ schema: PHYSICAL, name }, select);
  }

  function models(tables: Record<string, string>): EnvironmentModels {
    return Object.fromEntries(
      Object.entries(tables).map(([model, t]) => [model, { table: t, fingerprint: t.split('__')[1] ?? t }]),
    );
  }

  async function read(model: string): Promise<unknown[]> {
    const { rows } = await warehouse.query(
      `select * from prod.${warehouse.quoteIdentifier(model)} order by 1`,
    );
    return rows.map((r) => ({ ...r }));
  }

  async function catalogColumns(model: string): Promise<string[]> {
    const { rows } = await warehouse.query(
      `select column_name from information_schema.columns where table_schema = 'prod' and table_name = $1 order by ordinal_position`,
      { params: [model] },
    );
    return rows.map((r) => String(r['column_name']));
  }

  it('re-points every view and records the release', async () => {
    await table('orders__a', 'select 1 as id');
    await table('orders__b', 'select 2 as id');
    await table('customers__a', "select 'ann' as name");
    const before = await warehouse.environments.switch({
      environment: 'prod',
      releaseId: 'r1',
      models: models({ orders: 'orders__a', customers: 'customers__a' }),
      removed: [],
    });
    expect(before).toBeGreaterThan(0);
    expect(await read('orders')).toEqual([{ id: 1 }]);
    expect(await read('customers')).toEqual([{ name: 'ann' }]);
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r1');

    await warehouse.environments.switch({
      environment: 'prod',
      releaseId: 'r2',
      models: models({ orders: 'orders__b' }),
      removed: ['customers'],
    });
    expect(await read('orders')).toEqual([{ id: 2 }]);
    expect((await warehouse.listRelations('prod')).map((r) => r.name)).toEqual(['orders']);
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r2');
  });

  it('refuses a switch to a missing table and changes nothing', async () => {
    await table('orders__a', 'select 1 as id');
    await table('customers__a', "select 'ann' as name");
    await warehouse.environments.switch({
      environment: 'prod',
      releaseId: 'r1',
      models: models({ orders: 'orders__a', customers: 'customers__a' }),
      removed: [],
    });
    await table('orders__b', 'select 2 as id');
    const error = await warehouse.environments
      .switch({
        environment: 'prod',
        releaseId: 'r2',
        models: models({ orders: 'orders__b', customers: 'customers__gone' }),
        removed: [],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkFailedError);
    expect((error as Error).message).toBe(
      'cannot switch prod: 1 of its tables no longer exist (customers__gone)',
    );
    expect(await read('orders')).toEqual([{ id: 1 }]);
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r1');
  });

  it('forgets the marker, and the next switch writes every view again', async () => {
    await table('orders__a', 'select 1 as id');
    const request = {
      environment: 'prod',
      releaseId: 'r1',
      models: models({ orders: 'orders__a' }),
      removed: [],
    };
    await warehouse.environments.switch(request);
    await warehouse.environments.forget('prod');
    expect(await warehouse.environments.switchedRelease('prod')).toBeUndefined();
    // A hand edit over the same table is kept by a switch that trusts the marker, repaired after forget.
    await warehouse.execute(
      'create or replace view prod.orders as select id from slipway_physical.orders__a where false',
    );
    await warehouse.environments.switch({ ...request, releaseId: 'r2' });
    expect(await read('orders')).toEqual([{ id: 1 }]);
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r2');
  });

  it('inspects which table each view reads, and reports hand edits and dropped views', async () => {
    await table('orders__a', 'select 1 as id, 2 as amount');
    await table('customers__a', "select 'ann' as name");
    await table('items__a', 'select 1 as sku');
    await warehouse.environments.switch({
      environment: 'prod',
      releaseId: 'r1',
      models: models({ orders: 'orders__a', customers: 'customers__a', items: 'items__a' }),
      removed: [],
    });
    let inspection = await warehouse.environments.inspect('prod', ['orders', 'customers', 'items']);
    expect(new Map(inspection.views)).toEqual(
      new Map([
        ['orders', 'orders__a'],
        ['customers', 'customers__a'],
        ['items', 'items__a'],
      ]),
    );
    expect(inspection.physical).toEqual(new Set(['orders__a', 'customers__a', 'items__a']));

    // Edited by hand over the same table, a view no longer reads it as a switch wrote it.
    await warehouse.execute(
      'create or replace view prod.orders as select id, amount from slipway_physical.orders__a where id > 1',
    );
    await warehouse.execute('drop view prod.customers');
    // A table dropped behind Slipway takes its view with it (PostgreSQL binds views to tables).
    await warehouse.execute('drop table slipway_physical.items__a cascade');
    inspection = await warehouse.environments.inspect('prod', ['orders', 'customers', 'items']);
    expect(new Map(inspection.views)).toEqual(new Map([['orders', null]]));
    expect(inspection.physical).toEqual(new Set(['orders__a', 'customers__a']));

    // A rewriting switch repairs the drift.
    await warehouse.environments.switch({
      environment: 'prod',
      releaseId: 'r2',
      models: models({ orders: 'orders__a', customers: 'customers__a' }),
      removed: [],
      rewriteViews: true,
    });
    inspection = await warehouse.environments.inspect('prod', ['orders', 'customers']);
    expect(new Map(inspection.views)).toEqual(
      new Map([
        ['orders', 'orders__a'],
        ['customers', 'customers__a'],
      ]),
    );
  });

  it('keeps information_schema.columns what each view returns across column changes', async () => {
    await table('orders__a', 'select 1 as id');
    await table('orders__b', "select 1 as id, 'new' as note");
    await table('orders__c', "select 'x'::text as id");
    const to = (t: string, releaseId: string) =>
      warehouse.environments.switch({
        environment: 'prod',
        releaseId,
        models: models({ orders: t }),
        removed: [],
      });
    await to('orders__a', 'r1');
    expect(await catalogColumns('orders')).toEqual(['id']);
    await to('orders__b', 'r2'); // a column added
    expect(await catalogColumns('orders')).toEqual(['id', 'note']);
    expect(await read('orders')).toEqual([{ id: 1, note: 'new' }]);
    await to('orders__a', 'r3'); // and removed again
    expect(await catalogColumns('orders')).toEqual(['id']);
    expect(await read('orders')).toEqual([{ id: 1 }]);
    await to('orders__c', 'r4'); // a column retyped
    expect(await warehouse.describe({ schema: 'prod', name: 'orders' })).toEqual([
      { name: 'id', type: 'TEXT', nullable: true },
    ]);
  });

  it('lets readers see all old or all new while it switches many times', async () => {
    for (const version of [1, 2]) {
      await table(`left__v${version}`, `select ${version} as version`);
      await table(`right__v${version}`, `select ${version} as version`);
    }
    const switchTo = (version: number, releaseId: string) =>
      warehouse.environments.switch({
        environment: 'prod',
        releaseId,
        models: models({ left: `left__v${version}`, right: `right__v${version}` }),
        removed: [],
      });
    await switchTo(1, 'r0');
    let switching = true;
    const mixed: unknown[] = [];
    let reads = 0;
    const reader = async (): Promise<void> => {
      while (switching) {
        // Both views in one statement: one snapshot, one set of view definitions.
        const { rows } = await warehouse.query(
          'select (select version from prod."left") as l, (select version from prod."right") as r',
        );
        reads += 1;
        if (rows[0]?.['l'] !== rows[0]?.['r']) mixed.push({ ...rows[0] });
      }
    };
    const readers = [reader(), reader()];
    for (let i = 1; i <= 40; i += 1) await switchTo(i % 2 === 0 ? 1 : 2, `r${i}`);
    switching = false;
    await Promise.all(readers);
    expect(reads).toBeGreaterThan(0);
    expect(mixed).toEqual([]);
    expect(await warehouse.environments.switchedRelease('prod')).toBe('r40');
  });
});
