/**
 * Loads a generated project's file sources into a PostgreSQL database (`slipway init --warehouse
 * postgres`): DuckDB exports each source to CSV with the types it declares
 * (`writePostgresSourceSeed`), then one PostgreSQL transaction creates the schema and the typed
 * tables and inserts the rows in batched multi-row INSERTs with bound parameters (no COPY stream
 * is installed for `pg`; at init's scale a few thousand rows per statement is quick). Either every
 * table is loaded or none is. Wired here because it needs both adapters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import type { SourceNode } from '../project/project.js';
import { createDuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import { writePostgresSourceSeed } from '../warehouse/duckdb/reference-data/postgres-source-seed.js';
import { insertCsvRows } from '../warehouse/postgres/postgres-csv-insert.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export interface SeedPostgresSourcesOptions {
  /** The file sources to load (a loaded project's `sources.values()`). */
  readonly sources: Iterable<SourceNode>;
  /** An open PostgreSQL warehouse; the caller closes it. */
  readonly warehouse: Warehouse;
  /** Schema of the tables (default `raw`); it must hold none of them yet. */
  readonly schema?: string;
}

export interface SeededSource {
  readonly source: string;
  /** `schema.name`, as a source's `table:` names it. */
  readonly table: string;
  readonly rows: number;
}

/**
 * @example
 * const loaded = await seedPostgresSources({ sources: project.sources.values(), warehouse });
 * // [{ source: 'card_transactions', table: 'raw.card_transactions', rows: 9874 }, …]
 */
export async function seedPostgresSources({
  sources,
  warehouse,
  schema = 'raw',
}: SeedPostgresSourcesOptions): Promise<SeededSource[]> {
  const list = [...sources];
  const present = new Set((await warehouse.listRelations(schema)).map((r) => r.name));
  const clash = list.find((s) => present.has(s.name));
  if (clash) {
    throw new InvalidArgumentError(`the database already has a table ${schema}.${clash.name}`, {
      hint: `init loads the sources into an empty schema: use a new database, or drop schema ${schema} first`,
    });
  }
  const outDir = await mkdtemp(path.join(tmpdir(), 'slipway-seed-'));
  const duckdb = createDuckDbWarehouse({ path: ':memory:', poolSize: 1 });
  try {
    const seed = await writePostgresSourceSeed({
      sources: list,
      outDir,
      schema,
      exec: (sql) => duckdb.execute(sql),
    });
    return await warehouse.transaction(async (tx) => {
      await tx.execute(seed.createSchema);
      const loaded: SeededSource[] = [];
      for (const table of seed.tables) {
        await tx.execute(table.createTable);
        const rows = await insertCsvRows(warehouse, tx, table.relation, table.columns, table.csvFile);
        loaded.push({ source: table.source, table: `${schema}.${table.source}`, rows });
      }
      return loaded;
    });
  } finally {
    await duckdb.close();
    await rm(outDir, { recursive: true, force: true });
  }
}
