/**
 * The leader lease: one operator at a time does the work. A lease is held by a holder id until
 * it expires; the holder renews it well before then, a standby takes it once it has expired.
 * `term` grows by one every time the lease changes hands, so work stamped with a term can be
 * fenced: a store that has seen term N+1 refuses writes from term N. Implementations:
 * `sqlite/sqlite-leader-lease.ts`, `postgres/postgres-leader-lease.ts`; both run
 * `test/state/leader-lease-contract.ts`.
 */

export interface LeaseGrant {
  /** The lease's name (one per operator deployment, e.g. `operator`). */
  readonly name: string;
  readonly holder: string;
  /** Milliseconds since the epoch, by the store's clock. */
  readonly expiresAt: number;
  /** Fencing token: increases whenever the lease changes hands. */
  readonly term: number;
}

export interface LeaderLease {
  /**
   * Takes the lease when it is free or expired, or extends it when `holder` already has it.
   * Resolves undefined while another holder's lease is live.
   */
  acquire(holder: string, ttlMs: number): Promise<LeaseGrant | undefined>;
  /** Extends a live lease `holder` has; undefined when it has expired or changed hands. */
  renew(holder: string, ttlMs: number): Promise<LeaseGrant | undefined>;
  /** Gives the lease up now (if `holder` has it), so a standby need not wait for it to expire. */
  release(holder: string): Promise<void>;
  /** The live lease, if any. */
  current(): Promise<LeaseGrant | undefined>;
  close(): Promise<void>;
}
