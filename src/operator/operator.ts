/**
 * The operator's outer loop: become leader (or wait as a standby), then feed new commits from the
 * git watcher to the reconciler, one at a time, while renewing the lease. On SIGTERM it stops
 * taking work, lets the step in progress finish, and releases the lease so a standby takes over
 * at once. If the lease is lost (the store unreachable, a pause longer than the ttl) the step in
 * progress is told to abandon through its AbortSignal and the operator goes back to standby — by
 * its own clock, before the lease can have run out in the store, even while a renewal hangs.
 *
 * Everything it drives is injected: the lease, the commit source and the reconciler.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SlipwayError } from '../core/errors.js';
import type { LeaderLease, LeaseGrant } from '../state/leader-lease.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';
import { type CommitSource, type CommitsEvent, GitWatcher, type SyncTrigger } from './git-watcher.js';

/** What the operator drives with each new head (the reconcile loop; the integrator's part). */
export interface Reconciler {
  /** The head last handled, from the state store, so a new leader misses no commit. */
  lastHandledCommit(): Promise<string | undefined>;
  /**
   * Reconciles environments to `event.sha`. `signal` aborts when leadership is lost: stop
   * at the next safe point. `term` is the lease's fencing token for state-store writes.
   */
  reconcile(
    event: CommitsEvent,
    context: { readonly signal: AbortSignal; readonly term: number },
  ): Promise<void>;
}

/** What the webhook receivers and the API call to ask for a sync. */
export interface SyncRequester {
  /** `expectedSha`: the new head a webhook announced, if it named one. */
  notify(trigger?: SyncTrigger, expectedSha?: string): void;
}

/** The leader lease time when none is given (`--lease-ttl`). */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/** How often a standby tries to take the lease when not told: a fifth of the lease time. */
export function defaultStandbyRetryMs(leaseTtlMs: number): number {
  return Math.max(1, Math.floor(leaseTtlMs / 5));
}

export type OperatorState = 'idle' | 'standby' | 'leader' | 'stopping' | 'stopped';

export interface OperatorOptions {
  readonly lease: LeaderLease;
  readonly source: CommitSource;
  readonly reconciler: Reconciler;
  /** Default `<hostname>:<pid>:<random>`. */
  readonly holderId?: string;
  /**
   * Default 15 s. The lease a dead leader last renewed runs out at most this long after it died;
   * a standby takes it at its next try, so it leads at most `leaseTtlMs + standbyRetryMs` after
   * the leader died (18 s with the defaults), plus its own round trip to the store.
   */
  readonly leaseTtlMs?: number;
  /** Default ttl / 3. */
  readonly renewEveryMs?: number;
  /** How often a standby tries to take the lease. Default ttl / 5 (`defaultStandbyRetryMs`). */
  readonly standbyRetryMs?: number;
  readonly pollIntervalMs?: number;
  readonly settleMs?: number;
  readonly logger?: Logger;
  /** Syncs and git fetches are traced with it. */
  readonly telemetry?: Telemetry;
  readonly onStateChange?: (state: OperatorState, grant: LeaseGrant | undefined) => void;
}

export class Operator implements SyncRequester {
  readonly holderId: string;
  readonly #options: OperatorOptions;
  readonly #ttlMs: number;
  readonly #renewEveryMs: number;
  readonly #retryMs: number;
  #state: OperatorState = 'idle';
  #grant: LeaseGrant | undefined;
  /** This process's clock, when it must stop leading unless renewed (see `#holdUntil`). */
  #fenceAt = 0;
  #fenceTimer: NodeJS.Timeout | undefined;
  #watcher: GitWatcher | undefined;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: OperatorOptions) {
    this.#options = options;
    this.holderId = options.holderId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#ttlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(this.#ttlMs / 3));
    this.#retryMs = options.standbyRetryMs ?? defaultStandbyRetryMs(this.#ttlMs);
  }

  get state(): OperatorState {
    return this.#state;
  }

  /** The lease while leader. */
  get grant(): LeaseGrant | undefined {
    return this.#grant;
  }

  get watcher(): GitWatcher | undefined {
    return this.#watcher;
  }

  /** Starts as a standby and becomes leader when the lease is free. Returns at once. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#setState('standby');
    this.#schedule(0);
  }

  /** Forwards a webhook (or manual) request to the watcher; a standby ignores it. */
  notify(trigger: SyncTrigger = 'webhook', expectedSha?: string): void {
    if (this.#state === 'leader') this.#watcher?.notify(trigger, expectedSha);
  }

  /**
   * Graceful shutdown: no new work, the step in progress finishes, the lease is released.
   * Idempotent; the returned promise settles when all of that is done.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  /** Calls `stop()` on SIGTERM and SIGINT. Returns a function that removes the handlers. */
  handleSignals(target: NodeJS.Process = process): () => void {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.#options.logger?.info({ signal }, 'shutting down');
      void this.stop();
    };
    target.once('SIGTERM', onSignal);
    target.once('SIGINT', onSignal);
    return () => {
      target.off('SIGTERM', onSignal);
      target.off('SIGINT', onSignal);
    };
  }

  async #shutdown(): Promise<void> {
    this.#setState('stopping');
    // The lease keeps being renewed while the step in progress finishes, so no standby can
    // take over (and start the same work) before this leader is really done.
    await this.#watcher?.stop();
    this.#watcher = undefined;
    this.#cancelTimer();
    await this.#tick;
    this.#cancelTimer(); // the tick that was in flight may have scheduled another
    if (this.#grant) {
      try {
        await this.#options.lease.release(this.holderId);
      } catch (error) {
        // The lease expires on its own; the standby just waits for the ttl.
        this.#options.logger?.warn({ err: error }, 'could not release the leader lease');
      }
    }
    this.#grant = undefined;
    if (this.#fenceTimer) clearTimeout(this.#fenceTimer);
    this.#setState('stopped');
  }

  #cancelTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#state === 'stopped' || (this.#state === 'stopping' && !this.#grant)) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#step().finally(() => {
        this.#tick = undefined;
      });
    }, delayMs);
  }

  /** One turn: a standby tries to acquire, a leader renews. Never throws. */
  async #step(): Promise<void> {
    const { lease, logger } = this.#options;
    const sentAt = Date.now();
    try {
      if (this.#state === 'standby') {
        const grant = await lease.acquire(this.holderId, this.#ttlMs);
        if (grant) {
          // Set first, so a shutdown that starts meanwhile releases it.
          this.#grant = grant;
          this.#holdUntil(sentAt);
          await this.#lead();
        }
      } else if (this.#grant && (this.#state === 'leader' || this.#state === 'stopping')) {
        const held = this.#grant;
        const grant = await lease.renew(this.holderId, this.#ttlMs);
        // Fenced meanwhile (the call outlived the lease): that decision stands.
        if (this.#grant !== held) return this.#schedule(this.#retryMs);
        if (grant) {
          this.#grant = grant;
          this.#holdUntil(sentAt);
        } else await this.#stepDown('the lease was lost');
      }
    } catch (error) {
      logger?.warn({ err: error, state: this.#state }, 'leader lease call failed');
      if (this.#grant && this.#fenceAt <= Date.now()) {
        await this.#stepDown('the lease expired while the store was unreachable');
      }
    }
    this.#schedule(this.#grant ? this.#renewEveryMs : this.#retryMs);
  }

  async #lead(): Promise<void> {
    const { source, reconciler, logger, telemetry, pollIntervalMs, settleMs } = this.#options;
    this.#abort = new AbortController();
    const since = await reconciler.lastHandledCommit();
    if (this.#state !== 'standby') return; // stopping: #shutdown releases the grant
    const signal = this.#abort.signal;
    this.#watcher = new GitWatcher({
      source,
      since,
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
      ...(settleMs === undefined ? {} : { settleMs }),
      ...(logger ? { logger } : {}),
      ...(telemetry ? { telemetry } : {}),
      handler: async (event) => {
        const current = this.#grant;
        if (this.#state !== 'leader' || !current || this.#fenceAt <= Date.now()) {
          throw new SlipwayError('conflict', 'not the leader; the commit is left for the next leader');
        }
        await reconciler.reconcile(event, { signal, term: current.term });
      },
    });
    this.#setState('leader');
    logger?.info({ term: this.#grant?.term, holder: this.holderId }, 'leading');
    this.#watcher.start();
  }

  /**
   * Keeps leading, by this process's clock, until four fifths of the lease time after the call
   * that granted or renewed it was sent: the store started the lease no earlier, so this ends
   * before any standby can take it, with a fifth to spare for a late timer. A timer steps down
   * then unless a renewal came first — a renewal that hangs (the store unreachable, packets
   * dropped) must not keep the work going past the lease.
   */
  #holdUntil(sentAt: number): void {
    this.#fenceAt = sentAt + Math.floor((this.#ttlMs * 4) / 5);
    if (this.#fenceTimer) clearTimeout(this.#fenceTimer);
    const grant = this.#grant;
    this.#fenceTimer = setTimeout(
      () => {
        if (this.#grant === grant) void this.#stepDown('the lease was not renewed in time');
      },
      Math.max(0, this.#fenceAt - Date.now()),
    );
    this.#fenceTimer.unref();
  }

  async #stepDown(reason: string): Promise<void> {
    if (this.#fenceTimer) clearTimeout(this.#fenceTimer);
    this.#fenceTimer = undefined;
    this.#options.logger?.warn({ reason, term: this.#grant?.term }, 'stepping down as leader');
    this.#abort?.abort(new SlipwayError('conflict', reason));
    this.#grant = undefined;
    const watcher = this.#watcher;
    this.#watcher = undefined;
    if (this.#state === 'leader') this.#setState('standby');
    await watcher?.stop();
  }

  #setState(state: OperatorState): void {
    this.#state = state;
    this.#options.onStateChange?.(state, this.#grant);
  }
}
