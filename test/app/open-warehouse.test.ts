/**
 * The composition root's warehouse registry: the connection a project names is opened by its
 * engine's entry (a real DuckDB file, a real PostgreSQL database), a never-built warehouse is
 * refused or opened empty as asked, an unset URL variable is one clear line, and each engine's
 * statically declared capabilities match what its opened adapter reports.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectionCapabilities, openWarehouse } from '../../src/app/open-warehouse.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { ProjectConfig } from '../../src/project/schemas.js';
import { freshDatabase, testPostgresUrl } from '../helpers/postgres.js';

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

  it('opens PostgreSQL from the URL in the variable the connection names', async () => {
    const db = await freshDatabase('slipway_open_wh');
    try {
      const config = project({ local: { type: 'postgres', url_env: 'WAREHOUSE_URL' } });
      const warehouse = await openWarehouse(config, { env: { WAREHOUSE_URL: db.url } });
      try {
        expect(warehouse.engine).toBe('postgres');
        expect((await warehouse.query('select current_database() as name')).rows).toEqual([
          { name: db.name },
        ]);
      } finally {
        await warehouse.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('opens PostgreSQL read-only when asked: the server refuses writes', async () => {
    const config = project({ local: { type: 'postgres', url_env: 'WAREHOUSE_URL' } });
    const warehouse = await openWarehouse(config, {
      readOnly: true,
      env: { WAREHOUSE_URL: testPostgresUrl() },
    });
    try {
      expect((await warehouse.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
      await expect(warehouse.execute('create table refused (x integer)')).rejects.toThrow(/read-only/);
    } finally {
      await warehouse.close();
    }
  });

  it('refuses schema_prefix in one line: not supported yet', async () => {
    const prefixed = project({ local: { type: 'postgres', url_env: 'X_URL', schema_prefix: 'team' } });
    await expect(openWarehouse(prefixed, { env: { X_URL: testPostgresUrl() } })).rejects.toThrow(
      /schema_prefix is not supported/,
    );
  });

  it('says in one line which variable is unset, before connecting', async () => {
    const config = project({ local: { type: 'postgres', url_env: 'WAREHOUSE_URL' } });
    const error = await openWarehouse(config, { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).message).toBe(
      "the warehouse connection 'local' reads its URL from WAREHOUSE_URL, which is not set",
    );
    expect((error as InvalidArgumentError).hint).toContain('export WAREHOUSE_URL=postgres://');
  });

  it('declares each engine its capabilities as the opened adapter reports them', async () => {
    const db = await freshDatabase('slipway_open_wh');
    try {
      const connections = {
        duck: { type: 'duckdb', path: ':memory:' },
        pg: { type: 'postgres', url_env: 'WAREHOUSE_URL' },
      } as const;
      for (const [name, connection] of Object.entries(connections)) {
        const config = { root, config: { warehouse: { default: name, connections }, environments: {} } };
        const warehouse = await openWarehouse(config, { env: { WAREHOUSE_URL: db.url } });
        try {
          expect(connectionCapabilities(connection).readsLocalFiles).toBe(
            warehouse.capabilities.readsLocalFiles,
          );
        } finally {
          await warehouse.close();
        }
      }
      expect(connectionCapabilities(connections.pg).readsLocalFiles).toBe(false);
    } finally {
      await db.drop();
    }
  });

  it('names an unknown connection', async () => {
    const config = project({ local: { type: 'duckdb', path: ':memory:' } }, { dev: { warehouse: 'gone' } });
    await expect(openWarehouse(config, { environment: 'dev' })).rejects.toThrow(
      "unknown warehouse connection 'gone'",
    );
  });
});
