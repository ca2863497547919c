/**
 * Prepares a generated project's file sources for a PostgreSQL warehouse: one typed
 * `CREATE TABLE` per source (from the columns the source declares) and one CSV file per source,
 * written by DuckDB straight from the Parquet or CSV files (no row passes through Node). The
 * composition root, which owns the PostgreSQL connection, runs the statements and streams the
 * CSV files in with the `COPY … FROM STDIN` it is given; `load.psql` does the same with `psql`.
 *
 * Nothing here talks to PostgreSQL: `exec` runs DuckDB statements on a connection the caller owns.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../../../core/errors.js';
import { quoteStringLiteral } from '../../../core/sql-literal.js';
import type { SourceNode } from '../../../project/project.js';
import { postgresColumnType } from './postgres-column-type.js';

export interface PostgresSourceSeedOptions {
  /** The project's sources (`Project.sources.values()`); each must be files with typed columns. */
  readonly sources: Iterable<SourceNode>;
  /** Folder that receives `<source>.csv`, `schema.sql` and `load.psql`. */
  readonly outDir: string;
  /** PostgreSQL schema of the tables (default `raw`). */
  readonly schema?: string;
  /** Runs one DuckDB statement on a connection the caller owns. */
  readonly exec: (sql: string) => Promise<void>;
  /** Optional: runs a DuckDB `select count(*) …`; when given, each table carries its row count. */
  readonly queryCount?: (sql: string) => Promise<number>;
}

export interface SeededTable {
  readonly source: string;
  /** The quoted PostgreSQL relation, `"raw"."card_transactions"`. */
  readonly relation: string;
  readonly columns: readonly { readonly name: string; readonly postgresType: string }[];
  readonly createTable: string;
  /** `COPY <relation> (<columns>) FROM STDIN …` for the CSV file's contents. */
  readonly copyFromStdin: string;
  readonly csvFile: string;
  /** Data rows in the CSV file, when `queryCount` was given. */
  readonly rows: number | null;
}

export interface PostgresSourceSeed {
  readonly schema: string;
  /** `CREATE SCHEMA IF NOT EXISTS …`, to run before the tables. */
  readonly createSchema: string;
  readonly tables: readonly SeededTable[];
  /** Every DDL statement, in order. */
  readonly schemaFile: string;
  /** A `psql -f` script: DDL and `\copy` of every CSV file in one transaction. */
  readonly loadScript: string;
}

/** Standard SQL identifier quoting, read the same way by DuckDB and PostgreSQL. */
function quoteName(name: string): string {
  if (name.includes('\u0000')) throw new InvalidArgumentError('an identifier cannot contain a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

/** A psql meta-command argument in single quotes (psql reads backslash escapes inside them). */
function psqlQuoted(value: string): string {
  if (/[\r\n]/.test(value) || value.includes('\u0000'))
    throw new InvalidArgumentError(
      `a path with a line break cannot be loaded by psql: ${JSON.stringify(value)}`,
    );
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

interface PlannedTable extends Omit<SeededTable, 'rows'> {
  readonly export: string;
}

function planTable(source: SourceNode, schema: string, outDir: string): PlannedTable {
  const where = `source '${source.name}' (${source.file})`;
  if (source.files === undefined || source.format === undefined) {
    throw new InvalidArgumentError(`${where} is a warehouse table, not files: there is nothing to export`, {
      hint: 'only file sources (files: + format:) can be seeded into PostgreSQL',
    });
  }
  if (source.columns.length === 0) {
    throw new InvalidArgumentError(`${where} declares no columns`, {
      hint: 'declare every column with its type under columns: so the PostgreSQL table can be created',
    });
  }
  const columns = source.columns.map((column) => {
    if (column.type === undefined) {
      throw new InvalidArgumentError(`${where}: column '${column.name}' declares no type`, {
        hint: 'add type: (for example BIGINT, VARCHAR, TIMESTAMP) to every column of the source',
      });
    }
    return { name: column.name, ...postgresColumnType(column.type, `${source.name}.${column.name}`) };
  });
  const relation = `${quoteName(schema)}.${quoteName(source.name)}`;
  const names = columns.map((c) => quoteName(c.name)).join(', ');
  const csvFile = path.join(outDir, `${source.name}.csv`);
  const reader =
    source.format === 'csv'
      ? `read_csv(${quoteStringLiteral(source.files)}, header = true, auto_detect = true, union_by_name = true)`
      : `read_parquet(${quoteStringLiteral(source.files)}, union_by_name = true)`;
  const selected = columns.map((c) => `CAST(${quoteName(c.name)} AS ${c.duckdb}) AS ${quoteName(c.name)}`);
  return {
    source: source.name,
    relation,
    columns: columns.map((c) => ({ name: c.name, postgresType: c.postgres })),
    createTable: `CREATE TABLE ${relation} (\n${columns.map((c) => `  ${quoteName(c.name)} ${c.postgres}`).join(',\n')}\n)`,
    copyFromStdin: `COPY ${relation} (${names}) FROM STDIN WITH (FORMAT csv, HEADER true)`,
    csvFile,
    export: `COPY (SELECT ${selected.join(', ')} FROM ${reader}) TO ${quoteStringLiteral(csvFile)} (FORMAT csv, HEADER true)`,
  };
}

/**
 * Exports every source to `<outDir>/<source>.csv` and writes `schema.sql` and `load.psql`.
 * Every source is checked before anything is written.
 *
 * @example
 * const seed = await writePostgresSourceSeed({ sources: project.sources.values(), outDir, exec });
 * // psql "$SLIPWAY_PG_URL" -f <outDir>/load.psql
 */
export async function writePostgresSourceSeed(
  options: PostgresSourceSeedOptions,
): Promise<PostgresSourceSeed> {
  const { sources, outDir, schema = 'raw', exec, queryCount } = options;
  const planned = [...sources].map((source) => planTable(source, schema, path.resolve(outDir)));
  if (planned.length === 0) throw new InvalidArgumentError('the project has no sources to seed');
  await mkdir(outDir, { recursive: true });
  const tables: SeededTable[] = [];
  for (const { export: exportSql, ...table } of planned) {
    await exec(exportSql);
    const rows = queryCount
      ? await queryCount(`SELECT count(*) FROM read_csv(${quoteStringLiteral(table.csvFile)}, header = true)`)
      : null;
    tables.push({ ...table, rows });
  }
  const createSchema = `CREATE SCHEMA IF NOT EXISTS ${quoteName(schema)}`;
  const ddl = [createSchema, ...tables.map((t) => t.createTable)];
  const schemaFile = `${ddl.map((s) => `${s};`).join('\n\n')}\n`;
  const copies = tables.map(
    (t) =>
      `\\copy ${t.relation} (${t.columns.map((c) => quoteName(c.name)).join(', ')}) from ${psqlQuoted(t.csvFile)} with (format csv, header true)`,
  );
  const loadScript = [
    '-- Creates and loads the sources: psql "$URL" -f load.psql (one transaction; stops at the first error)',
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    schemaFile.trimEnd(),
    ...copies,
    'COMMIT;',
    '',
  ].join('\n');
  await writeFile(path.join(outDir, 'schema.sql'), schemaFile);
  await writeFile(path.join(outDir, 'load.psql'), loadScript);
  return { schema, createSchema, tables, schemaFile, loadScript };
}
