/**
 * File sources on an engine that declares it cannot read local files: refused before any source
 * view is created, naming the source's declaration, its files and the engine. The engine is a real
 * DuckDB whose adapter declares `readsLocalFiles: false` (DuckDB could read them: the refusal comes
 * from the declared capability, not from the engine failing).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { SourceNode } from '../../src/project/project.js';
import { createSourceViews } from '../../src/release/build-models.js';
import { SOURCES_SCHEMA } from '../../src/release/physical-layout.js';
import {
  createDuckDbWarehouse,
  DuckDbWarehouse,
  type DuckDbWarehouseOptions,
} from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { RuntimeWarehouse } from '../../src/warehouse/runtime-warehouse.js';
import type { Warehouse, WarehouseCapabilities } from '../../src/warehouse/warehouse.js';

class NoFilesDuckDb extends DuckDbWarehouse {
  override readonly capabilities: WarehouseCapabilities;

  constructor(options: DuckDbWarehouseOptions) {
    super(options);
    this.capabilities = { ...new DuckDbWarehouse(options).capabilities, readsLocalFiles: false };
  }
}

function source(name: string, files: string | undefined, line: number): SourceNode {
  return {
    type: 'source',
    name,
    file: 'sources/raw.yml',
    position: { file: 'sources/raw.yml', line, column: 5 },
    description: undefined,
    owner: undefined,
    tags: [],
    columns: [],
    checks: [],
    files,
    format: files ? 'csv' : undefined,
    table: files ? undefined : { schema: 'main', name: `${name}_table` },
    loadedAt: undefined,
    eventTime: undefined,
    freshness: { warnAfterMs: undefined, errorAfterMs: undefined },
  };
}

let warehouse: Warehouse;
beforeEach(() => {
  warehouse = new RuntimeWarehouse(new NoFilesDuckDb({ path: ':memory:', poolSize: 1 }));
});
afterEach(async () => {
  await warehouse.close();
});

describe('file sources and the readsLocalFiles capability', () => {
  it('refuses a file source before creating any source view', async () => {
    await warehouse.createSchema(SOURCES_SCHEMA);
    const sources = [
      source('first_files', '/data/first/*.csv', 3),
      source('second_files', '/data/b/*.csv', 9),
    ];
    const error = await createSourceViews(warehouse, sources).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const message = (error as InvalidArgumentError).message;
    expect(message).toContain('sources/raw.yml:3:5');
    expect(message).toContain('/data/first/*.csv');
    expect(message).toContain('duckdb warehouse');
    expect((error as InvalidArgumentError).hint).toMatch(/table:/);
    expect(await warehouse.listRelations(SOURCES_SCHEMA)).toEqual([]);
  });

  it('creates the same view where the engine declares it reads files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-file-sources-'));
    const reading = createDuckDbWarehouse({ path: ':memory:', poolSize: 1 });
    try {
      await writeFile(path.join(dir, 'a.csv'), 'id,amount\n1,2.5\n2,4\n');
      await reading.createSchema(SOURCES_SCHEMA);
      await createSourceViews(reading, [source('first_files', path.join(dir, '*.csv'), 3)]);
      expect(await reading.rowCount({ schema: SOURCES_SCHEMA, name: 'first_files' })).toBe(2);
    } finally {
      await reading.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads declared columns as their declared types, from CSV and Parquet', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-file-types-'));
    const reading = createDuckDbWarehouse({ path: ':memory:', poolSize: 1 });
    try {
      await writeFile(path.join(dir, 'zips.csv'), 'zip,amount\n01234,1.5\n99999,2\n');
      await reading.execute(
        `copy (select 7::INTEGER as id, 'x' as name) to '${path.join(dir, 'ids.parquet').replaceAll("'", "''")}'`,
      );
      await reading.createSchema(SOURCES_SCHEMA);
      const zips = {
        ...source('zips', path.join(dir, 'zips.csv'), 3),
        columns: [
          { name: 'zip', type: 'VARCHAR', description: undefined },
          { name: 'amount', type: 'DECIMAL(10,2)', description: undefined },
        ],
      };
      const ids = {
        ...source('ids', path.join(dir, 'ids.parquet'), 9),
        format: 'parquet' as const,
        columns: [{ name: 'id', type: 'BIGINT', description: undefined }],
      };
      await createSourceViews(reading, [zips, ids]);
      const read = await reading.query(`select zip, amount from ${SOURCES_SCHEMA}.zips order by zip`);
      expect(read.columns.map((c) => c.type)).toEqual(['VARCHAR', 'DECIMAL(10,2)']);
      expect(read.rows.map((r) => r['zip'])).toEqual(['01234', '99999']);
      const typed = await reading.query(`select * from ${SOURCES_SCHEMA}.ids`);
      expect(typed.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id BIGINT', 'name VARCHAR']);
    } finally {
      await reading.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the source when its files lack a declared column', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-file-types-'));
    const reading = createDuckDbWarehouse({ path: ':memory:', poolSize: 1 });
    try {
      await writeFile(path.join(dir, 'zips.csv'), 'zip,amount\n01234,1.5\n');
      await reading.createSchema(SOURCES_SCHEMA);
      const zips = {
        ...source('zips', path.join(dir, 'zips.csv'), 3),
        columns: [{ name: 'postcode', type: 'VARCHAR', description: undefined }],
      };
      const error = await createSourceViews(reading, [zips]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(
        /^sources\/raw\.yml:3:5: source 'zips': its files do not have the declared columns: .*postcode/,
      );
    } finally {
      await reading.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
