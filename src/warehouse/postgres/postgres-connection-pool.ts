/**
 * A bounded pool of connections to one PostgreSQL database (a `pg.Pool`): one client per
 * statement, stream or transaction. It also owns what needs a connection of its own: opening the
 * first one (where an unreachable server or a wrong password is first noticed, and reported in one
 * line with a hint, the URL's password never in it), each connection's session settings, and
 * cancelling a running statement (`pg_cancel_backend` from a short-lived second connection).
 */

import pg from 'pg';
import { errorMessage, InvalidArgumentError, WarehouseError } from '../../core/errors.js';
import { KNOWN_TYPE_NAMES, postgresTypes } from './postgres-values.js';

export interface PostgresConnectionPoolOptions {
  /** `postgres://user:password@host:port/database`; the password is never repeated in messages. */
  readonly url: string;
  /** Connections at most; statements beyond this wait in line (FIFO). */
  readonly size: number;
  /** Where the URL came from (`the SLIPWAY_PG_URL variable`), for hints. */
  readonly source?: string;
  /** Every transaction read-only (`default_transaction_read_only`): the server refuses writes. */
  readonly readOnly?: boolean;
}

/** One leased connection: the client, its server process id (for cancelling), and its health. */
export interface PostgresLease {
  readonly client: pg.PoolClient;
  readonly pid: number;
  /** Set when the connection must not be reused (a statement on it was cancelled or failed fatally). */
  broken: boolean;
}

/**
 * Every connection runs in UTC with ISO dates, so TIMESTAMPTZ values read back the same whatever
 * the server's or the process's time zone (the DuckDB adapter reads them as UTC too), and with
 * standard string literals, which the switch script's quoted values rely on. Set by a statement
 * rather than the connection's `options`, which a URL's own `options` would override.
 */
const SESSION_SETUP =
  "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET standard_conforming_strings = on; SELECT pg_backend_pid() AS pid";
const READ_ONLY_SETUP = `SET default_transaction_read_only = on; ${SESSION_SETUP}`;

export class PostgresConnectionPool {
  readonly #pool: pg.Pool;
  readonly #options: PostgresConnectionPoolOptions;
  readonly #pids = new WeakMap<pg.PoolClient, number>();
  readonly #leased = new Set<PostgresLease>();
  readonly #typeNames = new Map<string, string>();
  #destroyed = false;

  private constructor(options: PostgresConnectionPoolOptions) {
    this.#options = options;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.size,
      types: postgresTypes,
      application_name: 'slipway',
    });
    // An idle connection the server closed (restart, idle timeout) must not crash the process;
    // the pool drops it and the next lease opens a fresh one.
    this.#pool.on('error', () => undefined);
  }

  /** Opens the pool and one connection, so a wrong URL is reported before any work starts. */
  static async open(options: PostgresConnectionPoolOptions): Promise<PostgresConnectionPool> {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new InvalidArgumentError(`poolSize must be a positive integer, got ${options.size}`);
    }
    const pool = new PostgresConnectionPool(options);
    try {
      pool.release(await pool.acquire());
    } catch (error) {
      await pool.destroy();
      throw error;
    }
    return pool;
  }

  /** A connection for the caller's sole use until `release`; waits (FIFO) when all are busy. */
  async acquire(): Promise<PostgresLease> {
    if (this.#destroyed) throw new WarehouseError('the PostgreSQL connection pool is closed');
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw connectionError(this.#options, error);
    }
    try {
      let pid = this.#pids.get(client);
      if (pid === undefined) {
        const setup = this.#options.readOnly === true ? READ_ONLY_SETUP : SESSION_SETUP;
        const results = (await client.query(setup)) as unknown as pg.QueryResult[];
        pid = Number(results.at(-1)?.rows[0]?.['pid']);
        this.#pids.set(client, pid);
      }
      const lease: PostgresLease = { client, pid, broken: false };
      this.#leased.add(lease);
      return lease;
    } catch (error) {
      client.release(true);
      throw connectionError(this.#options, error);
    }
  }

  /** Gives a connection back; a broken one is closed and replaced by a fresh one when needed. */
  release(lease: PostgresLease): void {
    if (!this.#leased.delete(lease)) return;
    lease.client.release(lease.broken || this.#destroyed);
  }

  /** Runs `work` on one connection and always gives it back. */
  async withConnection<T>(work: (lease: PostgresLease) => Promise<T>): Promise<T> {
    const lease = await this.acquire();
    try {
      return await work(lease);
    } finally {
      this.release(lease);
    }
  }

  /**
   * Asks the server to cancel what the connection `pid` runs now (from a second connection, since
   * the first is busy). Harmless when it runs nothing; the caller discards a cancelled connection.
   */
  async cancel(pid: number): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.url, application_name: 'slipway-cancel' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Upper-case type names (`format_type`) of result columns, by OID and type modifier; common
   * ones are known, others are read from `pg_type` once and remembered.
   */
  async typeNames(
    lease: PostgresLease,
    fields: readonly { readonly dataTypeID: number; readonly dataTypeModifier: number }[],
  ): Promise<string[]> {
    const key = (f: { dataTypeID: number; dataTypeModifier: number }): string =>
      `${f.dataTypeID}:${f.dataTypeModifier}`;
    const missing = fields.filter(
      (f) =>
        !(f.dataTypeModifier === -1 && KNOWN_TYPE_NAMES.has(f.dataTypeID)) && !this.#typeNames.has(key(f)),
    );
    if (missing.length > 0) {
      const { rows } = await lease.client.query<{ name: string }>(
        'SELECT upper(format_type(t.oid, t.mod)) AS name FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS t(oid, mod, n) ORDER BY n',
        [missing.map((f) => f.dataTypeID), missing.map((f) => f.dataTypeModifier)],
      );
      missing.forEach((f, index) => {
        this.#typeNames.set(key(f), rows[index]?.name ?? 'UNKNOWN');
      });
    }
    return fields.map((f) => this.#typeNames.get(key(f)) ?? KNOWN_TYPE_NAMES.get(f.dataTypeID) ?? 'UNKNOWN');
  }

  /** Closes every connection, leased ones too (their holders have been abandoned). */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const lease of [...this.#leased]) {
      lease.broken = true;
      this.release(lease);
    }
    await this.#pool.end();
  }
}

/** What is wrong with the connection, in one line an operator can act on; no password in it. */
export function connectionError(options: PostgresConnectionPoolOptions, error: unknown): Error {
  const where = describeTarget(options.url);
  const source = options.source ?? 'the connection URL';
  const code = (error as { code?: unknown } | null)?.code;
  const message = redact(errorMessage(error), options.url);
  const plain = (text: string, hint: string): InvalidArgumentError =>
    new InvalidArgumentError(text, { hint, cause: redactedCause(error, options.url) });
  switch (code) {
    case 'ECONNREFUSED':
      return plain(
        `cannot reach PostgreSQL at ${where.server}: connection refused`,
        `is the server running, and are the host and port in ${source} right?`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return plain(
        `cannot reach PostgreSQL at ${where.server}: unknown host`,
        `check the host name in ${source}`,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return plain(
        `cannot reach PostgreSQL at ${where.server}: ${message}`,
        `check the host and port in ${source}, and the network between`,
      );
    case '28P01':
      return plain(
        `PostgreSQL refused the password of user ${where.user} at ${where.server}`,
        `check the user and password in ${source}`,
      );
    case '28000':
      return plain(
        `PostgreSQL refused user ${where.user} at ${where.server}: ${message}`,
        `check the user in ${source} and the server's pg_hba.conf`,
      );
    case '3D000':
      return plain(
        `PostgreSQL at ${where.server} has no database ${where.database}`,
        `create it, or name another database in ${source}`,
      );
    default:
      return new WarehouseError(`cannot connect to PostgreSQL at ${where.server}: ${message}`, {
        hint: `check ${source}`,
        cause: redactedCause(error, options.url),
      });
  }
}

/** The server, user and database a URL names (never its password). */
export function describeTarget(url: string): { server: string; user: string; database: string } {
  try {
    const parsed = new URL(url);
    return {
      server: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`,
      user: decodeURIComponent(parsed.username) || '(default user)',
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)',
    };
  } catch {
    return { server: '(unparsable URL)', user: '(unknown)', database: '(unknown)' };
  }
}

/** `text` without the URL's password (or the URL itself), should a driver message ever quote them. */
export function redact(text: string, url: string): string {
  let result = text.replaceAll(url, '<connection URL>');
  try {
    const password = new URL(url).password;
    for (const secret of [password, decodeURIComponent(password)]) {
      if (secret.length > 0) result = result.replaceAll(secret, '***');
    }
  } catch {
    // An unparsable URL has no password to find; the whole URL was replaced above.
  }
  return result;
}

/** The driver's error as a cause, with the password scrubbed from its message and stack. */
function redactedCause(error: unknown, url: string): unknown {
  if (!(error instanceof Error)) return redact(String(error), url);
  const copy = new Error(redact(error.message, url));
  copy.name = error.name;
  if (error.stack !== undefined) copy.stack = redact(error.stack, url);
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}
