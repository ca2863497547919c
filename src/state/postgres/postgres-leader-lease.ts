/**
 * A leader lease in PostgreSQL, for operators on different hosts sharing one state database.
 * Each change locks the lease's row (`SELECT … FOR UPDATE`) in one transaction, so contenders
 * queue on the row and exactly one sees it free. Expiry is judged by the database's clock, which
 * every host shares (no host's clock skew can make two leaders).
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { LeaderLease, LeaseGrant } from '../leader-lease.js';
import { migratePostgres } from './postgres-migrations.js';
import { databaseNow, type PgRow, PostgresPool, type PostgresTx } from './postgres-pool.js';

export interface PostgresLeaderLeaseOptions {
  readonly url: string;
  /** Default `operator`. */
  readonly name?: string;
  /** Milliseconds since the epoch instead of the database's clock (tests). */
  readonly now?: () => number;
  readonly connectTimeoutMs?: number;
}

/**
 * Connects (migrating when needed) and returns the lease.
 *
 * @example
 * const lease = await openPostgresLeaderLease({ url });
 * const grant = await lease.acquire(holderId, 15_000); // undefined while another leads
 */
export async function openPostgresLeaderLease(
  options: PostgresLeaderLeaseOptions,
): Promise<PostgresLeaderLease> {
  const pool = await PostgresPool.open({
    url: options.url,
    role: 'leader lease',
    // Its own small pool, so renewals never queue behind the operator's other queries.
    poolSize: 2,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.close();
    throw error;
  }
  return new PostgresLeaderLease(pool, options);
}

interface LeaseRow {
  readonly holder: string;
  readonly expiresAt: number;
  readonly term: number;
}

export class PostgresLeaderLease implements LeaderLease {
  readonly #pool: PostgresPool;
  readonly #name: string;
  readonly #now: (() => number) | undefined;

  constructor(pool: PostgresPool, options: Pick<PostgresLeaderLeaseOptions, 'name' | 'now'> = {}) {
    this.#pool = pool;
    this.#name = options.name ?? 'operator';
    this.#now = options.now;
  }

  async acquire(holder: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.#change(holder, ttlMs, (row, now) => row.holder === holder || row.expiresAt <= now);
  }

  async renew(holder: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.#change(holder, ttlMs, (row, now) => row.holder === holder && row.expiresAt > now);
  }

  async release(holder: string): Promise<void> {
    // Expire rather than delete, so the term keeps counting up.
    await this.#pool.transaction(undefined, async (tx) => {
      await tx.query(`update leases set expires_at = 'epoch' where name = $1 and holder = $2`, [
        this.#name,
        holder,
      ]);
    });
  }

  async current(): Promise<LeaseGrant | undefined> {
    return this.#pool.transaction(undefined, async (tx) => {
      const [row] = await tx.query('select holder, expires_at, term from leases where name = $1', [
        this.#name,
      ]);
      if (!row) return undefined;
      const lease = leaseOf(row);
      return lease.holder !== '' && lease.expiresAt > (await this.#clock(tx))
        ? this.#grant(lease)
        : undefined;
    });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #change(
    holder: string,
    ttlMs: number,
    allowed: (row: LeaseRow, now: number) => boolean,
  ): Promise<LeaseGrant | undefined> {
    if (holder === '' || !(ttlMs > 0))
      throw new InvalidArgumentError('a lease needs a holder and a positive ttl');
    return this.#pool.transaction(undefined, async (tx) => {
      // A never-held lease is an expired one with term 0, so there is always a row to lock.
      await tx.query(
        `insert into leases (name, holder, expires_at, term) values ($1, '', 'epoch', 0)
         on conflict (name) do nothing`,
        [this.#name],
      );
      const [locked] = await tx.query(
        'select holder, expires_at, term from leases where name = $1 for update',
        [this.#name],
      );
      const row = leaseOf(locked as PgRow);
      // Read the clock after the row lock: a contender that waited judges expiry as of now.
      const now = await this.#clock(tx);
      if (!allowed(row, now)) return undefined;
      const term = row.holder === holder && row.expiresAt > now ? row.term : row.term + 1;
      const next: LeaseRow = { holder, expiresAt: now + ttlMs, term };
      await tx.query('update leases set holder = $2, expires_at = $3, term = $4 where name = $1', [
        this.#name,
        next.holder,
        new Date(next.expiresAt),
        next.term,
      ]);
      return this.#grant(next);
    });
  }

  async #clock(tx: PostgresTx): Promise<number> {
    if (this.#now) return this.#now();
    return (await databaseNow(tx)).getTime();
  }

  #grant(row: LeaseRow): LeaseGrant {
    return { name: this.#name, holder: row.holder, expiresAt: row.expiresAt, term: row.term };
  }
}

function leaseOf(row: PgRow): LeaseRow {
  return {
    holder: String(row['holder']),
    expiresAt: (row['expires_at'] as Date).getTime(),
    term: Number(row['term']),
  };
}
