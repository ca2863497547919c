/**
 * A bounded pool of connections to one DuckDB database (one `DuckDBInstance`). DuckDB runs
 * statements from different connections in parallel; the pool caps how many at once and hands
 * connections out in FIFO order so no caller starves. Opening the database file also lives here,
 * because that is where a file held by another process is first noticed.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from '@duckdb/node-api';
import { errorMessage, WarehouseError } from '../../core/errors.js';

export interface DuckDbConnectionPoolOptions {
  /** A database file, or `:memory:`. */
  readonly path: string;
  /** DuckDB worker threads per statement; DuckDB's default (all cores) when omitted. */
  readonly threads?: number;
  /** Open the file read-only (shared lock: several readers may open it at once). */
  readonly readOnly?: boolean;
  /** Connections at most; statements beyond this wait in line. */
  readonly size: number;
}

interface Waiter {
  readonly resolve: (connection: DuckDBConnection) => void;
  readonly reject: (error: unknown) => void;
}

/** Connections handed out one caller at a time; see `acquire` and `release`. */
export class DuckDbConnectionPool {
  readonly #instance: DuckDBInstance;
  readonly #size: number;
  readonly #idle: DuckDBConnection[] = [];
  readonly #leased = new Set<DuckDBConnection>();
  readonly #waiters: Waiter[] = [];
  #opening = 0;
  #destroyed = false;
  /** Pools over the same instance (`sibling`); destroyed with this one. */
  readonly #siblings: DuckDbConnectionPool[] = [];
  readonly #ownsInstance: boolean;

  private constructor(instance: DuckDBInstance, size: number, ownsInstance = true) {
    this.#instance = instance;
    this.#size = size;
    this.#ownsInstance = ownsInstance;
  }

  /**
   * Another pool of `size` connections to the same database, so one kind of work (sandboxed
   * reads) has connections of its own and never waits behind, or changes settings of, the
   * writers'. Destroyed when this pool is.
   */
  sibling(size: number): DuckDbConnectionPool {
    if (this.#destroyed) throw new WarehouseError('the DuckDB connection pool is closed');
    const pool = new DuckDbConnectionPool(this.#instance, size, false);
    this.#siblings.push(pool);
    return pool;
  }

  /** Opens the database and returns a pool over it; no connection is made until needed. */
  static async open(options: DuckDbConnectionPoolOptions): Promise<DuckDbConnectionPool> {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new WarehouseError(`poolSize must be a positive integer, got ${options.size}`);
    }
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config['threads'] = String(options.threads);
    if (options.readOnly === true) config['access_mode'] = 'READ_ONLY';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.path, config);
    } catch (error) {
      throw openError(options.path, error);
    }
    return new DuckDbConnectionPool(instance, options.size);
  }

  get size(): number {
    return this.#size;
  }

  /** A connection for the caller's sole use until `release`; waits (FIFO) when all are busy. */
  async acquire(): Promise<DuckDBConnection> {
    if (this.#destroyed) throw new WarehouseError('the DuckDB connection pool is closed');
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      this.#leased.add(idle);
      return idle;
    }
    if (this.#leased.size + this.#opening < this.#size) {
      return this.#connect();
    }
    return new Promise<DuckDBConnection>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /**
   * Gives a connection back. A `broken` connection (its transaction could not be rolled back) is
   * closed and replaced by a fresh one for the next caller.
   */
  release(connection: DuckDBConnection, broken = false): void {
    if (!this.#leased.delete(connection)) return;
    if (this.#destroyed || broken) {
      connection.closeSync();
      if (!this.#destroyed) this.#serveNextWithNewConnection();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#leased.add(connection);
      waiter.resolve(connection);
      return;
    }
    this.#idle.push(connection);
  }

  /** Runs `work` on one connection and always gives it back. */
  async withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    try {
      return await work(connection);
    } finally {
      this.release(connection);
    }
  }

  /** Closes every connection (leased ones too: their holders have been abandoned) and the database. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new WarehouseError('the DuckDB connection pool is closed'));
    }
    for (const connection of [...this.#idle.splice(0), ...this.#leased]) {
      connection.closeSync();
    }
    this.#leased.clear();
    for (const sibling of this.#siblings.splice(0)) await sibling.destroy();
    if (this.#ownsInstance) this.#instance.closeSync();
  }

  async #connect(): Promise<DuckDBConnection> {
    this.#opening += 1;
    try {
      const connection = await this.#instance.connect();
      this.#leased.add(connection);
      return connection;
    } finally {
      this.#opening -= 1;
    }
  }

  #serveNextWithNewConnection(): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    this.#connect().then(waiter.resolve, waiter.reject);
  }
}

const LOCK_HOLDER = /Conflicting lock is held in (.*?)(?: \(PID (\d+)\))?\./;

/** Turns DuckDB's lock conflict into a message an operator can act on. */
function openError(path: string, error: unknown): WarehouseError {
  const message = errorMessage(error);
  if (message.includes('Could not set lock on file')) {
    const holder = LOCK_HOLDER.exec(message);
    const pid = holder?.[2];
    const who = pid === undefined ? '' : ` (pid ${pid}${holder?.[1] ? `, ${holder[1]}` : ''})`;
    return new WarehouseError(
      `the warehouse file ${path} is in use by another process${who}; stop it or use --read-only`,
      {
        cause: error,
        hint: 'DuckDB allows one writing process per file; several processes may open it read-only',
      },
    );
  }
  return new WarehouseError(`cannot open the DuckDB warehouse ${path}: ${message}`, { cause: error });
}
