/**
 * The PostgreSQL warehouse adapter, on the `pg` driver. Statements run on a bounded pool of
 * connections (one per statement, stream or transaction), parameters are bound by the extended
 * protocol, large results are read from server-side cursors, and `AbortSignal`s cancel the running
 * statement on the server. PostgreSQL has transactional DDL, so view swaps and table replacements
 * are atomic. Lifecycle and error wrapping live in `RuntimeWarehouse`, which
 * `createPostgresWarehouse` puts around this adapter. The connection URL carries a password: it is
 * never put into a message, a log line or an error.
 */

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
import { postgresCheckDialect } from './postgres-check-dialect.js';
import { PostgresConnectionPool, type PostgresLease } from './postgres-connection-pool.js';
import { createMissingSchemas, replaceTable, replaceView } from './postgres-ddl.js';
import { PostgresEnvironmentSwitch } from './postgres-environment-switch.js';
import { PostgresFileReader } from './postgres-file-reader.js';
import { PostgresIncrementalMerge } from './postgres-incremental-merge.js';
import { PostgresIntrospector } from './postgres-introspector.js';
import { executeOn, queryOn, streamOn } from './postgres-statement.js';

export interface PostgresWarehouseOptions {
  /** `postgres://user:password@host:port/database`, read from an environment variable by the caller. */
  readonly url: string;
  /** Connections, hence statements running at once. Default 4. */
  readonly poolSize?: number;
  /** Where the URL came from (`the SLIPWAY_PG_URL variable`), named in hints. */
  readonly source?: string;
  /** Every transaction read-only: the server refuses writes (for `slipway query`, say). */
  readonly readOnly?: boolean;
}

/** Rows per batch `stream()` yields unless the caller asks otherwise. */
const DEFAULT_BATCH_SIZE = 10_000;
const DEFAULT_POOL_SIZE = 4;
/** PostgreSQL truncates longer identifiers silently (NAMEDATALEN - 1), so they are refused. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Opens a PostgreSQL warehouse wrapped in the runtime lifecycle. The first call connects; an
 * unreachable server, a wrong password or a missing database surfaces then as one
 * `InvalidArgumentError` line with a hint (exit code 2), without the password.
 *
 * @example
 * const warehouse = createPostgresWarehouse({ url: postgresUrlFromEnvironment('SLIPWAY_PG_URL') });
 * const { rows } = await warehouse.query('select $1::int + 1 as answer', { params: [41] });
 * await warehouse.close();
 */
export function createPostgresWarehouse(
  options: PostgresWarehouseOptions,
  runtime: { readonly observer?: StatementObserver } = {},
): Warehouse {
  return new RuntimeWarehouse(new PostgresWarehouse(options), runtime);
}

/**
 * The connection URL held by the environment variable `name` (credentials come from the
 * environment only, never from the project's files).
 */
export function postgresUrlFromEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = env[name];
  if (url === undefined || url.trim() === '') {
    throw new InvalidArgumentError(`the environment variable ${name} is not set`, {
      hint: `set ${name} to the warehouse's connection URL (postgres://user:password@host:5432/database)`,
    });
  }
  return url;
}

/** The adapter itself; use `createPostgresWarehouse` unless you are composing runtimes. */
export class PostgresWarehouse implements WarehouseAdapter {
  readonly engine = 'postgres';
  readonly defaultSchema = 'public';
  readonly capabilities: WarehouseCapabilities;
  readonly #options: PostgresWarehouseOptions;
  readonly #introspector: PostgresIntrospector;
  #pool: PostgresConnectionPool | undefined;

  constructor(options: PostgresWarehouseOptions) {
    this.#options = options;
    this.capabilities = Object.freeze({
      cancel: true,
      readsLocalFiles: false,
      maxConcurrency: options.poolSize ?? DEFAULT_POOL_SIZE,
    });
    this.#introspector = new PostgresIntrospector(
      (sql, params) => this.query(sql, { params }),
      (ref) => this.quoteRelation(ref),
    );
  }

  createRoles(warehouse: Warehouse): WarehouseRoles {
    return {
      environments: new PostgresEnvironmentSwitch(warehouse),
      incremental: new PostgresIncrementalMerge(warehouse),
      files: new PostgresFileReader(warehouse),
      checkDialect: postgresCheckDialect,
    };
  }

  async init(): Promise<void> {
    this.#pool = await PostgresConnectionPool.open({
      url: this.#options.url,
      size: this.capabilities.maxConcurrency,
      ...(this.#options.source === undefined ? {} : { source: this.#options.source }),
      ...(this.#options.readOnly === undefined ? {} : { readOnly: this.#options.readOnly }),
    });
  }

  async destroy(): Promise<void> {
    await this.#pool?.destroy();
  }

  async execute(sql: string, options?: ExecuteOptions): Promise<void> {
    const pool = this.#connections();
    await pool.withConnection((lease) => executeOn(pool, lease, sql, options));
  }

  async query(sql: string, options?: ExecuteOptions): Promise<QueryResult> {
    const pool = this.#connections();
    return pool.withConnection((lease) => queryOn(pool, lease, sql, options));
  }

  async *stream(
    sql: string,
    options?: ExecuteOptions & { readonly batchSize?: number },
  ): AsyncGenerator<readonly Row[], void, undefined> {
    const batchSize = options?.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new WarehouseError(`batchSize must be a positive integer, got ${batchSize}`, { sql });
    }
    const pool = this.#connections();
    const lease = await pool.acquire();
    try {
      yield* streamOn(pool, lease, sql, { ...options, batchSize });
    } finally {
      pool.release(lease);
    }
  }

  async transaction<T>(body: (tx: WarehouseTransaction) => Promise<T>): Promise<T> {
    const pool = this.#connections();
    const lease = await pool.acquire();
    let open = true;
    const ensureOpen = (): void => {
      if (!open) throw new WarehouseError('this transaction has already ended');
    };
    const tx: WarehouseTransaction = {
      execute: async (sql, options) => {
        ensureOpen();
        await executeOn(pool, lease, sql, options);
      },
      query: async (sql, options) => {
        ensureOpen();
        return queryOn(pool, lease, sql, options);
      },
    };
    try {
      await lease.client.query('BEGIN');
      let result: T;
      try {
        result = await body(tx);
      } catch (error) {
        open = false;
        await rollback(lease);
        throw error;
      }
      open = false;
      await commit(lease);
      return result;
    } finally {
      open = false;
      pool.release(lease);
    }
  }

  quoteIdentifier(name: string): string {
    if (name.includes('\0')) {
      throw new InvalidArgumentError(`an identifier cannot contain a NUL character: ${JSON.stringify(name)}`);
    }
    if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
      throw new InvalidArgumentError(
        `the name ${JSON.stringify(name)} is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit`,
        { hint: 'PostgreSQL would cut it short silently; choose a shorter model or schema name' },
      );
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

  /**
   * Creates the schema unless it exists. Looking first also lets a role without the CREATE
   * privilege work in schemas made for it beforehand; one that needs a new schema and may not
   * create it gets one line saying so (exit code 2).
   */
  async createSchema(schema: string): Promise<void> {
    const pool = this.#connections();
    await pool.withConnection((lease) =>
      createMissingSchemas(
        {
          query: (sql, options) => queryOn(pool, lease, sql, options),
          execute: (sql, options) => executeOn(pool, lease, sql, options),
        },
        this,
        this.#options.url,
        [schema],
      ),
    );
  }

  /** Like DuckDB's `CREATE OR REPLACE TABLE`: see `replaceTable` for the views reading it. */
  async createTableAs(ref: RelationRef, sql: string, options?: ExecuteOptions): Promise<void> {
    await this.transaction((tx) => replaceTable(tx, this, ref, sql, options));
  }

  async createView(ref: RelationRef, sql: string): Promise<void> {
    await this.replaceViews([{ view: ref, sql }]);
  }

  async replaceViews(views: readonly ViewDefinition[]): Promise<void> {
    if (views.length === 0) return;
    const schemas = [...new Set(views.map((definition) => definition.view.schema))];
    await this.transaction(async (tx) => {
      await createMissingSchemas(tx, this, this.#options.url, schemas);
      for (const { view, sql } of views) {
        try {
          await replaceView(tx, this, view, sql);
        } catch (error) {
          const name = `${view.schema}.${view.name}`;
          throw new WarehouseError(`replacing view ${name} failed: ${errorMessage(error)}`, {
            sql,
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

  #connections(): PostgresConnectionPool {
    if (this.#pool === undefined) {
      throw new WarehouseError('the PostgreSQL warehouse is not open (use createPostgresWarehouse)');
    }
    return this.#pool;
  }
}

/**
 * Commits; PostgreSQL answers a COMMIT of a transaction in which a statement failed with a
 * ROLLBACK, not an error, so that answer is turned into one (a body that caught a statement's
 * error and carried on must not look committed).
 */
async function commit(lease: PostgresLease): Promise<void> {
  let command: string;
  try {
    command = (await lease.client.query('COMMIT')).command;
  } catch (error) {
    await rollback(lease);
    throw new WarehouseError(`commit failed: ${errorMessage(error)}`, { sql: 'COMMIT', cause: error });
  }
  if (command === 'ROLLBACK') {
    throw new WarehouseError('the transaction was rolled back: a statement in it had failed', {
      sql: 'COMMIT',
      hint: 'a statement error inside a transaction aborts it; nothing of it was kept',
    });
  }
}

/** Rolls back; a connection where that failed too is discarded by the pool. */
async function rollback(lease: PostgresLease): Promise<void> {
  if (lease.broken) return;
  try {
    await lease.client.query('ROLLBACK');
  } catch {
    // The caller's error is the one to report; closing the connection aborts the transaction.
    lease.broken = true;
  }
}
