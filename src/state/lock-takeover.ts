/**
 * Who gets a lock, decided as a value so every state store applies the same rule: free, released
 * or expired locks are taken (the next term); the holder's own lock is renewed (same term and
 * acquisition time); a live lease of a holder on another host is never taken, whatever its pid;
 * a lease of a holder on this host whose process is gone is taken at once (the fast path).
 */
import type { LockHolder, LockLease } from './state-store.js';

/** The lock's row as a store read it, under its write lock. */
export interface CurrentLock {
  readonly lease: LockLease;
  /** Unlocked by its holder: free, but its term still counts. */
  readonly released: boolean;
}

export type LockDecision =
  | { readonly granted: false; readonly heldBy: LockLease }
  | {
      readonly granted: true;
      readonly term: number;
      readonly acquiredAt: string;
      /** Set when a live holder's lock is taken from it (an event is due). */
      readonly takenOver?: { readonly from: LockHolder; readonly reason: 'expired' | 'holder is gone' };
    };

export interface LockContext {
  readonly now: Date;
  /** This host's name (`os.hostname()`). */
  readonly host: string;
  /** Whether a process of this host is alive; asked only for holders on this host. */
  readonly isProcessAlive: (pid: number) => boolean;
}

export function decideLock(
  current: CurrentLock | undefined,
  holder: LockHolder,
  ctx: LockContext,
): LockDecision {
  const nowIso = ctx.now.toISOString();
  if (current === undefined) return { granted: true, term: 1, acquiredAt: nowIso };
  const { lease } = current;
  if (current.released) return { granted: true, term: lease.term + 1, acquiredAt: nowIso };
  if (lease.holder.id === holder.id) return { granted: true, term: lease.term, acquiredAt: lease.acquiredAt };
  const expired = Date.parse(lease.expiresAt) <= ctx.now.getTime();
  const orphaned = !expired && lease.holder.host === ctx.host && !ctx.isProcessAlive(lease.holder.pid);
  if (!expired && !orphaned) return { granted: false, heldBy: lease };
  return {
    granted: true,
    term: lease.term + 1,
    acquiredAt: nowIso,
    takenOver: { from: lease.holder, reason: expired ? 'expired' : 'holder is gone' },
  };
}
