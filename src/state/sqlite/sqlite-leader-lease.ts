/**
 * A leader lease in a SQLite file (better-sqlite3), for operators sharing one machine or volume.
 * Every change is one IMMEDIATE transaction, so two processes never both see the lease free.
 * Expiry uses this machine's clock, which every holder of a local file shares.
 */
import Database from 'better-sqlite3';
import { InvalidArgumentError, SlipwayError } from '../../core/errors.js';
import type { LeaderLease, LeaseGrant } from '../leader-lease.js';

export interface SqliteLeaderLeaseOptions {
  /** The SQLite file (created when missing). */
  readonly file: string;
  /** Default `operator`. */
  readonly name?: string;
  /** How long to wait for another process's write lock. Default 5 s. */
  readonly busyTimeoutMs?: number;
  readonly now?: () => number;
}

interface LeaseRow {
  readonly holder: string;
  readonly expires_at: number;
  readonly term: number;
}

export class SqliteLeaderLease implements LeaderLease {
  readonly #db: Database.Database;
  readonly #name: string;
  readonly #now: () => number;
  #closed = false;

  constructor({ file, name = 'operator', busyTimeoutMs = 5000, now = Date.now }: SqliteLeaderLeaseOptions) {
    this.#name = name;
    this.#now = now;
    try {
      this.#db = new Database(file, { timeout: busyTimeoutMs });
      this.#db.pragma('journal_mode = WAL');
      this.#db.exec(`create table if not exists slipway_leases (
        name text primary key,
        holder text not null,
        expires_at integer not null,
        term integer not null
      ) strict`);
    } catch (error) {
      throw new SlipwayError('state', `cannot open the lease store ${file}`, { cause: error });
    }
  }

  async acquire(holder: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.#change(
      holder,
      ttlMs,
      (row, now) => row === undefined || row.holder === holder || row.expires_at <= now,
    );
  }

  async renew(holder: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    return this.#change(holder, ttlMs, (row, now) => row?.holder === holder && row.expires_at > now);
  }

  async release(holder: string): Promise<void> {
    this.#open();
    // Expire rather than delete, so the term keeps counting up.
    this.#db
      .prepare('update slipway_leases set expires_at = 0 where name = ? and holder = ?')
      .run(this.#name, holder);
  }

  async current(): Promise<LeaseGrant | undefined> {
    const row = this.#read();
    return row && row.expires_at > this.#now() ? this.#grant(row) : undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #change(
    holder: string,
    ttlMs: number,
    allowed: (row: LeaseRow | undefined, now: number) => boolean,
  ): LeaseGrant | undefined {
    this.#open();
    if (holder === '' || !(ttlMs > 0))
      throw new InvalidArgumentError('a lease needs a holder and a positive ttl');
    const write = this.#db.transaction((): LeaseGrant | undefined => {
      const row = this.#read();
      const now = this.#now();
      if (!allowed(row, now)) return undefined;
      const term =
        row === undefined ? 1 : row.holder === holder && row.expires_at > now ? row.term : row.term + 1;
      const next: LeaseRow = { holder, expires_at: now + ttlMs, term };
      this.#db
        .prepare(
          `insert into slipway_leases (name, holder, expires_at, term) values (?, ?, ?, ?)
           on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at,
           term = excluded.term`,
        )
        .run(this.#name, next.holder, next.expires_at, next.term);
      return this.#grant(next);
    });
    return write.immediate();
  }

  #read(): LeaseRow | undefined {
    this.#open();
    return this.#db
      .prepare('select holder, expires_at, term from slipway_leases where name = ?')
      .get(this.#name) as LeaseRow | undefined;
  }

  #grant(row: LeaseRow): LeaseGrant {
    return { name: this.#name, holder: row.holder, expiresAt: row.expires_at, term: row.term };
  }

  #open(): void {
    if (this.#closed) throw new SlipwayError('state', 'the lease store is closed');
  }
}
