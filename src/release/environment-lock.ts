/**
 * One release or run per environment at a time: a lease in the state store, renewed while the
 * work runs and released after it. Taken before the warehouse is opened, so a second command
 * learns who holds the environment (exit 3) instead of tripping over the engine's own file lock.
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../core/errors.js';
import type { LockHolder, LockLease, StateStore } from '../state/state-store.js';
import type { Telemetry } from '../telemetry/tracer.js';

export const DEFAULT_LEASE_MS = 60_000;

export interface LockOptions {
  /** What the holder is doing, shown to whoever is refused (`apply staging`). */
  readonly purpose: string;
  /** Wait for the lock instead of failing; a number is the most milliseconds to wait. */
  readonly wait?: boolean | number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  /** Traces the wait for the locks (`slipway_lock_wait_seconds`). */
  readonly telemetry?: Pick<Telemetry, 'span'>;
}

export function environmentLockName(environment: string): string {
  return `env:${environment}`;
}

export function currentHolder(purpose: string): LockHolder {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the pid and host still identify the holder.
  }
  return { id: randomUUID(), pid: process.pid, host: hostname(), user, purpose };
}

/**
 * Runs `body` holding the lock of each environment (taken in name order, so two commands
 * needing the same pair cannot deadlock).
 *
 * @example
 * await withEnvironmentLocks(state, ['prod'], { purpose: 'rollback prod' }, async () => { … });
 */
export async function withEnvironmentLocks<T>(
  state: StateStore,
  environments: readonly string[],
  { purpose, wait = false, leaseMs = DEFAULT_LEASE_MS, pollMs = 250, telemetry }: LockOptions,
  body: () => Promise<T>,
): Promise<T> {
  const holder = currentHolder(purpose);
  const names = [...new Set(environments)].sort().map(environmentLockName);
  const held: string[] = [];
  const deadline = typeof wait === 'number' ? Date.now() + wait : wait ? Number.POSITIVE_INFINITY : 0;
  let renewal: NodeJS.Timeout | undefined;
  try {
    const acquire = async (): Promise<void> => {
      for (const name of names) {
        while (true) {
          const attempt = await state.tryLock(name, holder, leaseMs);
          if (attempt.acquired) {
            held.push(name);
            break;
          }
          if (Date.now() >= deadline) throw lockedError(attempt.heldBy, wait !== false);
          await sleep(pollMs);
        }
      }
    };
    if (telemetry) {
      await telemetry.span(
        'lock wait',
        { 'slipway.span': 'lock', 'slipway.environment': [...environments].sort().join(',') },
        acquire,
      );
    } else {
      await acquire();
    }
    renewal = setInterval(
      () => {
        for (const name of held) {
          state.renewLock(name, holder.id, leaseMs).catch(() => undefined);
        }
      },
      // Three renewals per lease, however short (an operator's locks follow its leader lease).
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    renewal.unref();
    return await body();
  } finally {
    if (renewal) clearInterval(renewal);
    for (const name of held.reverse()) await state.unlock(name, holder.id);
  }
}

function lockedError(lease: LockLease, waited: boolean): ConflictError {
  const environment = lease.name.replace(/^env:/, '');
  const who = `${lease.holder.user} (pid ${lease.holder.pid} on ${lease.holder.host})`;
  return new ConflictError(
    `environment '${environment}' is busy: ${who} is running '${lease.holder.purpose}' since ${lease.acquiredAt}`,
    {
      hint: waited
        ? 'gave up waiting; try again later'
        : `wait for it with --wait; the lease expires at ${lease.expiresAt} unless renewed`,
    },
  );
}
