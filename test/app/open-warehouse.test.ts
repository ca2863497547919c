/**
 * The composition root's warehouse registry: the connection a project names is opened by its
 * engine's entry (a real DuckDB file, the test PostgreSQL server), a never-built warehouse is
 * refused or opened empty as asked, and a PostgreSQL URL variable that is unset is one clear line.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWarehouse } from '../../src/app/open-warehouse.js';
import { InvalidArgumentError, type SlipwayError } from '../../src/core/errors.js';
import type { ProjectConfig } from '../../src/project/schemas.js';
import { testPostgresUrl } from '../helpers/postgres.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'slipway-open-warehouse-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function project(connections: ProjectConfig['warehouse']['connections'], environments = {}) {
  return { root, config: { warehouse: { default: 'local', connections }, environments } };
}

describe('openWarehouse', () => {
  it("opens the environment's DuckDB file, relative to the project, creating its folder", async () => {
    const config = project(
      {
        local: { type: 'duckdb', path: 'nowhere.duckdb' },
        other: { type: 'duckdb', path: 'wh/other.duckdb' },
      },
      { dev: { warehouse: 'other' } },
    );
    const warehouse = await openWarehouse(config, { environment: 'dev' });
    try {
      await warehouse.execute('create table marker as select 42 as answer');
      expect(warehouse.engine).toBe('duckdb');
    } finally {
      await warehouse.close();
    }
    expect((await stat(path.join(root, 'wh', 'other.duckdb'))).isFile()).toBe(true);
    const again = await openWarehouse(config, { environment: 'dev', readOnly: true });
    try {
      expect((await again.query('select answer from marker')).rows).toEqual([{ answer: 42 }]);
    } finally {
      await again.close();
    }
  });

  it('refuses a never-built warehouse read-only, or opens an empty one when asked', async () => {
    const config = project({ local: { type: 'duckdb', path: 'missing/warehouse.duckdb' } });
    const error = await openWarehouse(config, { readOnly: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).message).toMatch(/does not exist yet/);
    expect((error as InvalidArgumentError).hint).toMatch(/slipway build/);
    const empty = await openWarehouse(config, { readOnly: true, whenMissing: 'empty' });
    try {
      expect(await empty.listRelations(empty.defaultSchema)).toEqual([]);
    } finally {
      await empty.close();
    }
    await expect(stat(path.join(root, 'missing'))).rejects.toThrow();
  });

  it('opens PostgreSQL from the URL its variable holds, read-only when asked', async () => {
    const config = project({ local: { type: 'postgres', url_env: 'SLIPWAY_OPEN_WAREHOUSE_TEST_URL' } });
    process.env['SLIPWAY_OPEN_WAREHOUSE_TEST_URL'] = testPostgresUrl();
    try {
      const warehouse = await openWarehouse(config, { readOnly: true });
      try {
        expect(warehouse.engine).toBe('postgres');
        expect((await warehouse.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
        await expect(warehouse.execute('create table refused (x integer)')).rejects.toThrow(/read-only/);
      } finally {
        await warehouse.close();
      }
    } finally {
      delete process.env['SLIPWAY_OPEN_WAREHOUSE_TEST_URL'];
    }
  });

  it('says in one line when the PostgreSQL variable is unset, or an option is not supported', async () => {
    const unset = project({ local: { type: 'postgres', url_env: 'SLIPWAY_OPEN_WAREHOUSE_UNSET' } });
    const error = await openWarehouse(unset).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as SlipwayError).message).toBe(
      'the environment variable SLIPWAY_OPEN_WAREHOUSE_UNSET is not set',
    );
    const prefixed = project({ local: { type: 'postgres', url_env: 'X_URL', schema_prefix: 'team' } });
    await expect(openWarehouse(prefixed)).rejects.toThrow(/schema_prefix is not supported/);
  });

  it('names an unknown connection', async () => {
    const config = project({ local: { type: 'duckdb', path: ':memory:' } }, { dev: { warehouse: 'gone' } });
    await expect(openWarehouse(config, { environment: 'dev' })).rejects.toThrow(
      "unknown warehouse connection 'gone'",
    );
  });
});
