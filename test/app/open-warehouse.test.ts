/**
 * The composition root's warehouse registry: the connection a project names is opened by its
 * engine's entry (a real DuckDB file here), a never-built warehouse is refused or opened empty as
 * asked, and a connection type without an entry is one clear line.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWarehouse } from '../../src/app/open-warehouse.js';
import { InvalidArgumentError, SlipwayError } from '../../src/core/errors.js';
import type { ProjectConfig } from '../../src/project/schemas.js';

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

  it('says in one line when a connection type has no engine in this version', async () => {
    const config = project({ local: { type: 'postgres', url_env: 'WAREHOUSE_URL' } });
    const error = await openWarehouse(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('invalid_argument');
    expect((error as SlipwayError).message).toBe('the postgres warehouse is not available in this version');
    expect((error as SlipwayError).hint).toContain('duckdb');
  });

  it('names an unknown connection', async () => {
    const config = project({ local: { type: 'duckdb', path: ':memory:' } }, { dev: { warehouse: 'gone' } });
    await expect(openWarehouse(config, { environment: 'dev' })).rejects.toThrow(
      "unknown warehouse connection 'gone'",
    );
  });
});
