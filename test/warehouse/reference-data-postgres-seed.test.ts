/**
 * Seeding PostgreSQL from a generated reference project: the reference sources exported to CSV by
 * a real DuckDB, the generated DDL and `load.psql` run by `psql` against the test PostgreSQL, and
 * the loaded tables compared with the Parquet files (types, counts, sums, NULLs, empty strings).
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { loadProject } from '../../src/project/load-project.js';
import type { Project } from '../../src/project/project.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { generateJklData } from '../../src/warehouse/duckdb/reference-data/jkl-fraud-data.js';
import { postgresColumnType } from '../../src/warehouse/duckdb/reference-data/postgres-column-type.js';
import {
  type PostgresSourceSeed,
  writePostgresSourceSeed,
} from '../../src/warehouse/duckdb/reference-data/postgres-source-seed.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { type TempProject, tempProject } from '../helpers/temp-project.js';

const REFERENCE = path.resolve('examples/jkl-fraud');

async function referenceSources(): Promise<Record<string, string>> {
  const files: Record<string, string> = {
    'slipway.yaml': await readFile(path.join(REFERENCE, 'slipway.yaml'), 'utf8'),
  };
  for (const file of await readdir(path.join(REFERENCE, 'sources'))) {
    files[`sources/${file}`] = await readFile(path.join(REFERENCE, 'sources', file), 'utf8');
  }
  return files;
}

async function load(root: string): Promise<Project> {
  const parser = await createDuckDbSqlParser();
  return loadProject(root, { parser }).finally(() => parser.close());
}

describe('postgresColumnType', () => {
  it('maps the declared DuckDB types and refuses the rest with a hint', () => {
    expect(postgresColumnType('BIGINT', 't.a')).toEqual({ duckdb: 'BIGINT', postgres: 'bigint' });
    expect(postgresColumnType(' decimal( 12 ,2 ) ', 't.a')).toEqual({
      duckdb: 'DECIMAL(12, 2)',
      postgres: 'numeric(12, 2)',
    });
    expect(postgresColumnType('DECIMAL', 't.a').postgres).toBe('numeric(18, 3)');
    expect(postgresColumnType('numeric(10)', 't.a').postgres).toBe('numeric(10, 0)');
    expect(postgresColumnType('varchar(8)', 't.a')).toEqual({ duckdb: 'VARCHAR', postgres: 'varchar(8)' });
    expect(postgresColumnType('timestamp with time zone', 't.a').postgres).toBe('timestamptz');
    expect(postgresColumnType('Double', 't.a').postgres).toBe('double precision');
    for (const bad of [
      'STRUCT(a INT)',
      'INTEGER[]',
      'DECIMAL(40,2)',
      'DECIMAL(4,6)',
      'BIGINT); drop table x; --',
    ]) {
      expect(() => postgresColumnType(bad, 't.a')).toThrow(InvalidArgumentError);
    }
    try {
      postgresColumnType('BLOB', 'devices.raw');
    } catch (error) {
      expect((error as InvalidArgumentError).message).toContain('devices.raw');
      expect((error as InvalidArgumentError).hint).toContain('DECIMAL(p,s)');
    }
  });
});

describe('writePostgresSourceSeed on the generated reference project', () => {
  let project: TempProject;
  let instance: DuckDBInstance;
  let duck: DuckDBConnection;
  let database: TestDatabase;
  let client: pg.Client;
  let seed: PostgresSourceSeed;
  const outDir = () => path.join(project.root, '.slipway', 'postgres-seed');

  beforeAll(async () => {
    project = await tempProject(await referenceSources());
    instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    duck = await instance.connect();
    await generateJklData({
      exec: async (sql) => {
        await duck.run(sql);
      },
      dataDir: path.join(project.root, 'data'),
      scale: 0.002,
      seed: 7,
    });
    const loaded = await load(project.root);
    seed = await writePostgresSourceSeed({
      sources: loaded.sources.values(),
      outDir: outDir(),
      exec: async (sql) => {
        await duck.run(sql);
      },
      queryCount: async (sql) => Number((await duck.runAndReadAll(sql)).getRows()[0]?.[0]),
    });
    database = await freshDatabase('slipway_seed');
    await promisify(execFile)('psql', ['-q', '-X', database.url, '-f', path.join(outDir(), 'load.psql')]);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
    duck?.closeSync();
    instance?.closeSync();
    await project?.remove();
  });

  async function duckOne(sql: string): Promise<Record<string, unknown>> {
    return (await duck.runAndReadAll(sql)).getRowObjectsJson()[0] ?? {};
  }

  it('writes one CSV per source and a DDL typed from the declared columns', async () => {
    expect(seed.tables.map((t) => t.source).sort()).toEqual([
      'card_transactions',
      'chargebacks',
      'customers',
      'devices',
      'merchants',
    ]);
    for (const table of seed.tables) await access(table.csvFile);
    const ddl = await readFile(path.join(outDir(), 'schema.sql'), 'utf8');
    expect(ddl).toBe(seed.schemaFile);
    expect(ddl).toContain('CREATE TABLE "raw"."card_transactions" (\n  "txn_id" bigint,');
    const { rows } = await client.query<{
      column_name: string;
      data_type: string;
      numeric_scale: number | null;
    }>(
      `select column_name, data_type, numeric_scale from information_schema.columns
       where table_schema = 'raw' and table_name = 'card_transactions' order by ordinal_position`,
    );
    expect(rows.map((r) => r.column_name)).toEqual([
      'txn_id',
      'card_id',
      'customer_id',
      'merchant_id',
      'device_id',
      'amount',
      'currency',
      'status',
      'event_ts',
      'loaded_at',
      'channel',
      'country',
    ]);
    const types = Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
    expect(types).toMatchObject({
      txn_id: 'bigint',
      amount: 'numeric',
      currency: 'text',
      event_ts: 'timestamp without time zone',
    });
    expect(rows.find((r) => r.column_name === 'amount')?.numeric_scale).toBe(2);
  });

  it('loads every row, NULL and value as DuckDB reads them from the Parquet files', async () => {
    for (const table of seed.tables) {
      const parquet = path.join(project.root, 'data', table.source, '*.parquet');
      const expected = await duckOne(`select count(*) as n from read_parquet('${parquet}')`);
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${table.relation}`);
      expect(table.rows).toBe(Number(expected['n']));
      expect(rows[0]?.n).toBe(String(expected['n']));
      expect(table.rows).toBeGreaterThan(0);
    }
    const files = path.join(project.root, 'data', 'card_transactions', '*.parquet');
    const fromParquet = await duckOne(
      `select sum(amount)::VARCHAR as total, count(device_id)::VARCHAR as devices,
              strftime(max(event_ts), '%Y-%m-%d %H:%M:%S') as latest, count(*) filter (where status = 'approved')::VARCHAR as approved
       from read_parquet('${files}')`,
    );
    const { rows } = await client.query(
      `select sum(amount)::text as total, count(device_id)::text as devices,
              to_char(max(event_ts), 'YYYY-MM-DD HH24:MI:SS') as latest, count(*) filter (where status = 'approved')::text as approved
       from raw.card_transactions`,
    );
    expect(rows[0]).toEqual(fromParquet);
    const fraud = await client.query(
      'select count(*) filter (where is_fraud)::int as n from raw.chargebacks',
    );
    const fraudParquet = await duckOne(
      `select count(*) filter (where is_fraud)::INTEGER as n from read_parquet('${path.join(project.root, 'data', 'chargebacks', '*.parquet')}')`,
    );
    expect(fraud.rows[0]?.n).toBe(fraudParquet['n']);
  });

  it('keeps an empty string apart from NULL, and refuses untyped or table sources before writing', async () => {
    const tricky = await tempProject({
      'slipway.yaml': (await referenceSources())['slipway.yaml'] ?? '',
      'sources/notes.yml': `sources:
  - name: notes
    files: data/notes.parquet
    format: parquet
    columns:
      - { name: id, type: INTEGER }
      - { name: body, type: VARCHAR }
`,
    });
    try {
      await mkdir(path.join(tricky.root, 'data'));
      await duck.run(
        `COPY (SELECT * FROM (VALUES (1, 'it''s "quoted", with a comma'), (2, ''), (3, NULL)) t(id, body))
         TO '${path.join(tricky.root, 'data', 'notes.parquet')}' (FORMAT parquet)`,
      );
      const loaded = await load(tricky.root);
      const out = path.join(tricky.root, 'seed');
      const notes = await writePostgresSourceSeed({
        sources: loaded.sources.values(),
        outDir: out,
        schema: 'odd "schema"',
        exec: async (sql) => {
          await duck.run(sql);
        },
      });
      expect(notes.tables[0]?.relation).toBe('"odd ""schema"""."notes"');
      const target = await freshDatabase('slipway_seed');
      try {
        await promisify(execFile)('psql', ['-q', '-X', target.url, '-f', path.join(out, 'load.psql')]);
        const c = new pg.Client({ connectionString: target.url });
        await c.connect();
        try {
          const { rows } = await c.query(`select id, body from ${notes.tables[0]?.relation} order by id`);
          expect(rows).toEqual([
            { id: 1, body: 'it\'s "quoted", with a comma' },
            { id: 2, body: '' },
            { id: 3, body: null },
          ]);
        } finally {
          await c.end();
        }
      } finally {
        await target.drop();
      }

      const untyped = {
        ...loaded.sources.get('notes'),
        columns: [{ name: 'id', type: undefined, description: undefined }],
      };
      const elsewhere = path.join(tricky.root, 'never');
      await expect(
        writePostgresSourceSeed({
          sources: [...loaded.sources.values(), untyped as never],
          outDir: elsewhere,
          exec: async (sql) => {
            await duck.run(sql);
          },
        }),
      ).rejects.toThrow(/column 'id' declares no type/);
      await expect(access(elsewhere)).rejects.toThrow();
      const table = { ...loaded.sources.get('notes'), files: undefined, format: undefined };
      await expect(
        writePostgresSourceSeed({ sources: [table as never], outDir: elsewhere, exec: async () => {} }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await tricky.remove();
    }
  });
});
