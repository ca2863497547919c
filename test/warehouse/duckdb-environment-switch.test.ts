/**
 * DuckDB against the environment-switch contract (in memory, on a file, and with a single
 * connection, where the physical-relations check runs inside the transaction), plus what only
 * DuckDB's pointer switch has: a switch that changes no column set re-creates no view.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnvironmentModels } from '../../src/core/release.js';
import { PHYSICAL_SCHEMA } from '../../src/core/warehouse-layout.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { environmentSwitchContract } from './environment-switch-contract.js';

const tmp = await mkdtemp(join(tmpdir(), 'slipway-duckdb-switch-'));
let files = 0;

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

environmentSwitchContract('duckdb :memory:', async () =>
  createDuckDbWarehouse({ path: ':memory:', threads: 2 }),
);

environmentSwitchContract('duckdb file', async () => {
  files += 1;
  return createDuckDbWarehouse({ path: join(tmp, `switch-${files}.duckdb`), threads: 2, poolSize: 3 });
});

environmentSwitchContract('duckdb single connection', async () =>
  createDuckDbWarehouse({ path: ':memory:', threads: 2, poolSize: 1 }),
);

describe('duckdb pointer switch', () => {
  const pointers = (tables: Record<string, string>): EnvironmentModels =>
    Object.fromEntries(Object.entries(tables).map(([m, table]) => [m, { table, fingerprint: '' }]));

  /** Each view's catalog identity: a view re-created gets a new one. */
  async function viewIds(warehouse: Warehouse, environment: string): Promise<Record<string, string>> {
    const { rows } = await warehouse.query(
      'select view_name, view_oid::varchar as id from duckdb_views() where schema_name = $1 order by view_name',
      { params: [environment] },
    );
    return Object.fromEntries(rows.map((r) => [String(r['view_name']), String(r['id'])]));
  }

  it('re-creates exactly the views whose columns change, across processes', async () => {
    const path = join(tmp, 'recreate.duckdb');
    let warehouse = createDuckDbWarehouse({ path, threads: 2 });
    try {
      await warehouse.createSchema(PHYSICAL_SCHEMA);
      for (const [name, sql] of [
        ['a__1', 'select 1 as id'],
        ['a__2', 'select 2 as id'],
        ['b__1', 'select 1 as id'],
        ['b__2', 'select 2 as id, 20 as extra'],
      ] as const) {
        await warehouse.createTableAs({ schema: PHYSICAL_SCHEMA, name }, sql);
      }
      await warehouse.environments.prepare();
      const first = pointers({ a: 'a__1', b: 'b__1' });
      await warehouse.environments.switch({
        environment: 'prod',
        releaseId: 'r1',
        models: first,
        removed: [],
      });
      const before = await viewIds(warehouse, 'prod');

      await warehouse.environments.switch({
        environment: 'prod',
        releaseId: 'r2',
        models: pointers({ a: 'a__2', b: 'b__2' }),
        removed: [],
      });
      const after = await viewIds(warehouse, 'prod');
      expect(after['a']).toBe(before['a']);
      expect(after['b']).not.toBe(before['b']);

      // A new process (no column lists remembered) rolls back: only b's columns change.
      await warehouse.close();
      warehouse = createDuckDbWarehouse({ path, threads: 2 });
      const reopened = await viewIds(warehouse, 'prod');
      await warehouse.environments.switch({
        environment: 'prod',
        releaseId: 'r1',
        models: first,
        removed: [],
      });
      const rolledBack = await viewIds(warehouse, 'prod');
      expect(rolledBack['a']).toBe(reopened['a']);
      expect(rolledBack['b']).not.toBe(reopened['b']);
      expect((await warehouse.describe({ schema: 'prod', name: 'b' }))?.map((c) => c.name)).toEqual(['id']);
    } finally {
      await warehouse.close();
    }
  });
});
