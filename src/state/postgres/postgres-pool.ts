/**
 * The PostgreSQL connection every state adapter shares the shape of: a `pg.Pool` whose sessions
 * resolve names in the `slipway_state` schema, opened once (a first connection proves the URL and
 * credentials before any work), refusing work after close, running bodies in transactions that
 * can be serialised by an advisory lock, and turning driver errors into `SlipwayError`s that
 * never carry the URL's password.
 */
import pg from 'pg';
import { errorMessage, InvalidArgumentError, SlipwayError } from '../../core/errors.js';

export type PgRow = Record<string, unknown>;

export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:port/database`; never logged or shown with its password. */
  readonly url: string;
  /** Most connections this pool opens. Default 4. */
  readonly poolSize?: number;
  /** How long to wait for a connection (an unreachable server). Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** What the pool serves, for error messages (`state store`, `leader lease`). */
  readonly role: string;
}

/** A transaction's handle: its queries run on one connection, between BEGIN and COMMIT. */
export interface PostgresTx {
  query(sql: string, params?: readonly unknown[]): Promise<PgRow[]>;
}

/** SQLSTATE codes that mean the URL is wrong (credentials, database) rather than a failure. */
const BAD_CONFIGURATION = new Set(['28P01', '28000', '3D000']);
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** `url` without its password (and without query parameters, which may carry one too). */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

export class PostgresPool {
  readonly #pool: pg.Pool;
  readonly #role: string;
  readonly #where: string;
  readonly #secrets: readonly string[];
  #closed = false;

  private constructor(options: PostgresConnectionOptions, config: pg.PoolConfig) {
    this.#pool = new pg.Pool(config);
    this.#role = options.role;
    this.#where = redactPostgresUrl(options.url);
    this.#secrets = secretsOf(options.url);
    // An idle connection the server closed (a restart, a network cut) is dropped by the pool; the
    // next query opens a new one or fails with its own error. Without a listener pg would crash
    // the process on it.
    this.#pool.on('error', () => undefined);
  }

  /**
   * Opens a pool and proves it can connect.
   *
   * @example
   * const pool = await PostgresPool.open({ url: process.env.STATE_URL!, role: 'state store' });
   * const rows = await pool.query('select 1 as one');
   */
  static async open(options: PostgresConnectionOptions): Promise<PostgresPool> {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new InvalidArgumentError(`the ${options.role}'s URL is not a valid URL`, {
        hint: 'expected postgres://user:password@host:port/database',
      });
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new InvalidArgumentError(
        `the ${options.role}'s URL must start with postgres:// (got ${parsed.protocol}//…)`,
      );
    }
    const pool = new PostgresPool(options, {
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      options: '-c search_path=slipway_state',
      application_name: `slipway ${options.role}`,
    });
    try {
      const client = await pool.#pool.connect();
      client.release();
    } catch (error) {
      await pool.close();
      throw pool.#connectError(error, true);
    }
    return pool;
  }

  /** Where the pool points, without the password. */
  get where(): string {
    return this.#where;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<PgRow[]> {
    this.#open();
    try {
      const result = await this.#pool.query(sql, [...params]);
      return result.rows as PgRow[];
    } catch (error) {
      throw this.#failure('read failed', error);
    }
  }

  /**
   * Runs `body` in one transaction (READ COMMITTED), committed when it resolves and rolled back
   * when it throws. With `lock`, the transaction first takes the advisory lock of that name, so
   * transactions with the same lock run one at a time (the SQLite store's BEGIN IMMEDIATE).
   */
  async transaction<T>(lock: string | undefined, body: (tx: PostgresTx) => Promise<T>): Promise<T> {
    this.#open();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#connectError(error, false);
    }
    const tx: PostgresTx = {
      query: async (sql, params = []) => (await client.query(sql, [...params])).rows as PgRow[],
    };
    try {
      await client.query('begin');
      if (lock !== undefined)
        await client.query('select pg_advisory_xact_lock(hashtext($1))', [`slipway_state:${lock}`]);
      const result = await body(tx);
      await client.query('commit');
      client.release();
      return result;
    } catch (error) {
      // A connection whose rollback fails is broken: destroy it rather than return it to the pool.
      const rolledBack = await client.query('rollback').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack);
      throw error instanceof SlipwayError ? error : this.#failure('write failed', error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  #open(): void {
    if (this.#closed) throw new SlipwayError('state', `the ${this.#role} is closed`);
  }

  #failure(what: string, error: unknown): SlipwayError {
    if (isConnectFailure(error)) return this.#connectError(error, false);
    return new SlipwayError('state', `${this.#role} ${what}: ${this.#scrub(errorMessage(error))}`, {
      cause: error,
    });
  }

  /**
   * Cannot connect. When opening, before any work, that is the configuration's fault as far as
   * the caller can tell (exit 2); later, mid-work, it is a failure of the work (exit 1).
   */
  #connectError(error: unknown, opening: boolean): SlipwayError {
    const code = (error as { code?: unknown } | null)?.code;
    const reason = this.#scrub(errorMessage(error) || String(code ?? 'unknown error'));
    const message = `cannot connect to the ${this.#role} at ${this.#where}: ${reason}`;
    const options = { hint: 'check the URL, that the server is up, and its credentials', cause: error };
    return opening ? new InvalidArgumentError(message, options) : new SlipwayError('state', message, options);
  }

  #scrub(text: string): string {
    let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1[redacted]@');
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/** The database's clock (`clock_timestamp()`, not the transaction's start), shared by every host. */
export async function databaseNow(tx: PostgresTx): Promise<Date> {
  const [row] = await tx.query('select clock_timestamp() as now');
  const now = row?.['now'];
  if (!(now instanceof Date)) throw new SlipwayError('state', 'the database did not say what time it is');
  return now;
}

function isConnectFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (CONNECT_FAILURES.has(code) || BAD_CONFIGURATION.has(code));
}

/** The password as written in the URL and decoded, so neither form reaches a message. */
function secretsOf(url: string): string[] {
  try {
    const { password } = new URL(url);
    if (!password) return [];
    const decoded = decodeURIComponent(password);
    return [...new Set([password, decoded])].filter((s) => s.length >= 3);
  } catch {
    return [];
  }
}
