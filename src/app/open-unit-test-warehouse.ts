/**
 * The isolated engines SQL unit tests run on (and model shapes are inferred on), chosen by the
 * project's default warehouse connection, so a test runs the model's SQL on the engine that will
 * run it in production: on DuckDB a private in-memory DuckDB per test (one thread and one
 * connection, so many tests run side by side, one each); on PostgreSQL a private scratch schema
 * per test in the project's database, created and dropped by the factory, over one shared pool
 * (its size bounds how many tests run at once).
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { ProjectConfig } from '../project/schemas.js';
import { createDuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import { PostgresScratchSchemas } from '../warehouse/postgres/postgres-scratch-schemas.js';
import type { IsolatedWarehouseFactory, Warehouse } from '../warehouse/warehouse.js';
import { openWarehouse } from './open-warehouse.js';
import { UNIT_TEST_ENGINES, type UnitTestEngineChoice } from './unit-test-engines.js';

/** A private in-memory DuckDB: the unit-test engine of DuckDB projects (and of `--engine duckdb`). */
export const openUnitTestWarehouse: IsolatedWarehouseFactory =
  async function openUnitTestWarehouse(): Promise<Warehouse> {
    return createDuckDbWarehouse({ path: ':memory:', threads: 1, poolSize: 1 });
  };

/** The engines of one run of unit tests; `close()` once the run is over. */
export interface UnitTestEngines {
  /** The engine's name (`duckdb`, `postgres`), for messages. */
  readonly engine: string;
  /** Opens one test's isolated engine (the caller closes it). */
  readonly open: IsolatedWarehouseFactory;
  /** Tests to run at once, when the engine bounds it (the shared pool's size); else undefined. */
  readonly concurrency: number | undefined;
  /** Releases what the engines share (drops scratch schemas left open, closes the pool). */
  close(): Promise<void>;
}

export { UNIT_TEST_ENGINES, type UnitTestEngineChoice };

/**
 * @example
 * const engines = await openUnitTestEngines(project);
 * try {
 *   await runUnitTests({ project, tests, openEngine: engines.open, concurrency: engines.concurrency });
 * } finally {
 *   await engines.close();
 * }
 */
export async function openUnitTestEngines(
  project: { readonly config: Pick<ProjectConfig, 'warehouse' | 'environments'>; readonly root: string },
  { engine }: { readonly engine?: string } = {},
): Promise<UnitTestEngines> {
  if (engine !== undefined && !(UNIT_TEST_ENGINES as readonly string[]).includes(engine)) {
    throw new InvalidArgumentError(`unknown unit-test engine '${engine}'`, {
      hint: `use ${UNIT_TEST_ENGINES.join(', ')}, or leave it out to run on the project's warehouse engine`,
    });
  }
  const connection = project.config.warehouse.connections[project.config.warehouse.default];
  if (engine === 'duckdb' || connection === undefined || connection.type === 'duckdb') {
    return inMemoryDuckDb();
  }
  // The project's own database: the URL comes from its variable, and an unset one is refused here.
  const shared = await openWarehouse(project);
  const scratch = new PostgresScratchSchemas(shared);
  return {
    engine: shared.engine,
    open: function openScratchSchema() {
      return scratch.open();
    },
    concurrency: shared.capabilities.maxConcurrency,
    close: async function closeScratchSchemas() {
      try {
        await scratch.close();
      } finally {
        await shared.close();
      }
    },
  };
}

function inMemoryDuckDb(): UnitTestEngines {
  return {
    engine: 'duckdb',
    open: openUnitTestWarehouse,
    concurrency: undefined,
    close: async () => undefined,
  };
}
