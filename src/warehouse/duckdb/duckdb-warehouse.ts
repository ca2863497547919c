/**
 * The DuckDB warehouse adapter: Slipway's embedded default. Statements run on a bounded pool of
 * connections to one DuckDB database (a file or `:memory:`), parameters are bound through prepared
 * statements, large results are streamed chunk by chunk, and `AbortSignal`s interrupt the running
 * statement. Lifecycle and error wrapping live in `RuntimeWarehouse`, which `createDuckDbWarehouse`
 * puts around this adapter.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { errorMessage, InvalidArgumentError, WarehouseError } from '../../core/errors.js';
import { RuntimeWarehouse, type WarehouseAdapter } from '../runtime-warehouse.js';
import type { StatementObserver } from '../statement-observer.js';
import type {
  ColumnInfo,
  ExecuteOptions,
  QueryResult,
  RelationInfo,
  RelationRef,
  Row,
  ViewDefinition,
  Warehouse,
  WarehouseCapabilities,
  WarehouseRoles,
  WarehouseTransaction,
} from '../warehouse.js';
import { duckDbCheckDialect } from './duckdb-check-dialect.js';
import { DuckDbConnectionPool } from './duckdb-connection-pool.js';
import { DuckDbEnvironmentSwitch } from './duckdb-environment-switch.js';
import { DuckDbFileReader } from './duckdb-file-reader.js';
import { DuckDbIncrementalMerge } from './duckdb-incremental-merge.js';
import { DuckDbIntrospector } from './duckdb-introspector.js';
import { DuckDbReads } from './duckdb-reads.js';
import {
  executeOn,
  interruptible,
  queryOn,
  rowConverter,
  type Statement,
  startStatement,
} from './duckdb-statement.js';

export interface DuckDbWarehouseOptions {
  /** A database file, or `:memory:` for a private in-memory database. */
  readonly path: string;
  /** DuckDB worker threads per statement; DuckDB's default (all cores) when omitted. */
  readonly threads?: number;
  /**
   * Connections, hence statements running at once. Default 4. Each running statement occupies a
   * libuv threadpool thread (`UV_THREADPOOL_SIZE`, 4 by default) while it executes, so a larger
   * pool needs a larger threadpool to run more statements at once.
   */
  readonly poolSize?: number;
  /** Open the file read-only; several processes may then share it. */
  readonly readOnly?: boolean;
  /** Connections of the sandboxed readers (`reads`), beside the writers'. Default 2. */
  readonly readerPoolSize?: number;
}

/** Rows per batch `stream()` yields unless the caller asks otherwise. */
const DEFAULT_BATCH_SIZE = 10_000;
const DEFAULT_POOL_SIZE = 4;

/**
 * Opens a DuckDB warehouse wrapped in the runtime lifecycle. Nothing is opened until the first
 * call; a file held by another process surfaces then as a `WarehouseError`.
 *
 * @example
 * const warehouse = createDuckDbWarehouse({ path: '.slipway/warehouse.duckdb', poolSize: 4 });
 * const { rows } = await warehouse.query('select $1::int + 1 as answer', { params: [41] });
 * await warehouse.close();
 */
export function createDuckDbWarehouse(
  options: DuckDbWarehouseOptions,
  runtime: { readonly observer?: StatementObserver } = {},
): Warehouse {
  return new RuntimeWarehouse(new DuckDbWarehouse(options), runtime);
}

/** The adapter itself; use `createDuckDbWarehouse` unless you are composing runtimes. */
export class DuckDbWarehouse implements WarehouseAdapter {
  readonly engine = 'duckdb';
  readonly defaultSchema = 'main';
  readonly capabilities: WarehouseCapabilities;
  readonly #options: DuckDbWarehouseOptions;
  readonly #introspector: DuckDbIntrospector;
  #pool: DuckDbConnectionPool | undefined;
  #readers: DuckDbConnectionPool | undefined;

  constructor(options: DuckDbWarehouseOptions) {
    this.#options = options;
    this.capabilities = Object.freeze({
      cancel: true,
      readsLocalFiles: true,
      maxConcurrency: options.poolSize ?? DEFAULT_POOL_SIZE,
    });
    this.#introspector = new DuckDbIntrospector(
      (sql, params) => this.query(sql, { params }),
      (ref) => this.quoteRelation(ref),
    );
  }

  createRoles(warehouse: Warehouse): WarehouseRoles {
    return {
      environments: new DuckDbEnvironmentSwitch(warehouse),
      incremental: new DuckDbIncrementalMerge(warehouse),
      files: new DuckDbFileReader(warehouse),
      checkDialect: duckDbCheckDialect,
      reads: new DuckDbReads(async () => {
        // Through the lifecycle wrapper: it opens the database once, or refuses after close.
        if (this.#pool === undefined) await warehouse.execute('select 1');
        this.#readers ??= this.#connections().sibling(this.#options.readerPoolSize ?? 2);
        return this.#readers;
      }),
    };
  }

  async init(): Promise<void> {
    this.#pool = await DuckDbConnectionPool.open({
      path: this.#options.path,
      size: this.capabilities.maxConcurrency,
      ...(this.#options.threads === undefined ? {} : { threads: this.#options.threads }),
      ...(this.#options.readOnly === undefined ? {} : { readOnly: this.#options.readOnly }),
    });
  }

  async destroy(): Promise<void> {
    this.#readers = undefined;
    await this.#pool?.destroy();
  }

  async execute(sql: string, options?: ExecuteOptions): Promise<void> {
    await this.#connections().withConnection((connection) => executeOn(connection, sql, options));
  }

  async query(sql: string, options?: ExecuteOptions): Promise<QueryResult> {
    return this.#connections().withConnection((connection) => queryOn(connection, sql, options));
  }

  async *stream(
    sql: string,
    options?: ExecuteOptions & { readonly batchSize?: number },
  ): AsyncGenerator<readonly Row[], void, undefined> {
    const batchSize = options?.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new WarehouseError(`batchSize must be a positive integer, got ${batchSize}`, { sql });
    }
    const signal = options?.signal;
    const pool = this.#connections();
    const connection = await pool.acquire();
    let statement: Statement | undefined;
    try {
      statement = await interruptible(connection, signal, () =>
        startStatement(connection, sql, options?.params, true),
      );
      const toRow = rowConverter(statement.result);
      let batch: Row[] = [];
      while (true) {
        const { result } = statement;
        const chunk = await interruptible(connection, signal, () => result.fetchChunk());
        if (chunk === null || chunk.rowCount === 0) break;
        for (const values of chunk.getRows()) {
          batch.push(toRow(values));
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      statement?.dispose();
      pool.release(connection);
    }
  }

  async transaction<T>(body: (tx: WarehouseTransaction) => Promise<T>): Promise<T> {
    const pool = this.#connections();
    const connection = await pool.acquire();
    let broken = false;
    let open = true;
    const ensureOpen = (): void => {
      if (!open) throw new WarehouseError('this transaction has already ended');
    };
    const tx: WarehouseTransaction = {
      execute: async (sql, options) => {
        ensureOpen();
        await executeOn(connection, sql, options);
      },
      query: async (sql, options) => {
        ensureOpen();
        return queryOn(connection, sql, options);
      },
    };
    try {
      await connection.run('BEGIN TRANSACTION');
      let result: T;
      try {
        result = await body(tx);
      } catch (error) {
        open = false;
        broken = !(await rollback(connection));
        throw error;
      }
      open = false;
      try {
        await connection.run('COMMIT');
      } catch (error) {
        broken = !(await rollback(connection));
        throw new WarehouseError(`commit failed: ${errorMessage(error)}`, { sql: 'COMMIT', cause: error });
      }
      return result;
    } finally {
      open = false;
      pool.release(connection, broken);
    }
  }

  quoteIdentifier(name: string): string {
    if (name.includes('\0')) {
      throw new InvalidArgumentError(`an identifier cannot contain a NUL character: ${JSON.stringify(name)}`);
    }
    return `"${name.replaceAll('"', '""')}"`;
  }

  quoteRelation(ref: RelationRef): string {
    return `${this.quoteIdentifier(ref.schema)}.${this.quoteIdentifier(ref.name)}`;
  }

  listSchemas(): Promise<string[]> {
    return this.#introspector.listSchemas();
  }

  listRelations(schema: string): Promise<RelationInfo[]> {
    return this.#introspector.listRelations(schema);
  }

  describe(ref: RelationRef): Promise<ColumnInfo[] | undefined> {
    return this.#introspector.describe(ref);
  }

  rowCount(ref: RelationRef): Promise<number> {
    return this.#introspector.rowCount(ref);
  }

  async createSchema(schema: string): Promise<void> {
    await this.execute(`CREATE SCHEMA IF NOT EXISTS ${this.quoteIdentifier(schema)}`);
  }

  async createTableAs(ref: RelationRef, sql: string, options?: ExecuteOptions): Promise<void> {
    await this.execute(`CREATE OR REPLACE TABLE ${this.quoteRelation(ref)} AS ${sql}`, options);
  }

  async createView(ref: RelationRef, sql: string): Promise<void> {
    await this.execute(`CREATE OR REPLACE VIEW ${this.quoteRelation(ref)} AS ${sql}`);
  }

  async replaceViews(views: readonly ViewDefinition[]): Promise<void> {
    if (views.length === 0) return;
    const schemas = [...new Set(views.map((definition) => definition.view.schema))];
    await this.transaction(async (tx) => {
      for (const schema of schemas) {
        await tx.execute(`CREATE SCHEMA IF NOT EXISTS ${this.quoteIdentifier(schema)}`);
      }
      for (const { view, sql } of views) {
        const statement = `CREATE OR REPLACE VIEW ${this.quoteRelation(view)} AS ${sql}`;
        try {
          await tx.execute(statement);
        } catch (error) {
          const name = `${view.schema}.${view.name}`;
          throw new WarehouseError(`replacing view ${name} failed: ${errorMessage(error)}`, {
            sql: statement,
            cause: error,
            hint: 'no view was changed: the whole swap was rolled back',
          });
        }
      }
    });
  }

  async dropRelation(ref: RelationRef, kind: 'table' | 'view'): Promise<void> {
    const keyword = kind === 'view' ? 'VIEW' : 'TABLE';
    await this.execute(`DROP ${keyword} IF EXISTS ${this.quoteRelation(ref)}`);
  }

  #connections(): DuckDbConnectionPool {
    if (this.#pool === undefined) {
      throw new WarehouseError('the DuckDB warehouse is not open (use createDuckDbWarehouse)');
    }
    return this.#pool;
  }
}

/** Rolls back; false when that failed too (the connection is then discarded by the pool). */
async function rollback(connection: DuckDBConnection): Promise<boolean> {
  try {
    await connection.run('ROLLBACK');
    return true;
  } catch {
    // The caller's error is the one to report; a connection whose rollback failed is closed,
    // which makes DuckDB abort the transaction.
    return false;
  }
}
