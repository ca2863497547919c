/**
 * Learns of new commits on the watched branch, by polling (with jitter) and by `notify()` from
 * webhooks, and hands each new head to one handler (the reconcile loop). A burst of
 * notifications coalesces into one fetch and one handler call for the newest head; handler calls
 * never overlap; every commit between the last synced head and the new one is reported, so none
 * is skipped silently.
 */

import type { Commit as CommitInfo } from '../core/commit.js';
import { errorMessage } from '../core/errors.js';
import { redactUrl } from '../git/git-cli.js';
import type { GitMirror } from '../git/git-mirror.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';

export type SyncTrigger = 'webhook' | 'poll' | 'manual';

/** What the handler receives: a new head and everything it brings. */
export interface CommitsEvent {
  /** The new head of the branch. */
  readonly sha: string;
  /** The head the previous successful handler call received (undefined on the first). */
  readonly previous: string | undefined;
  /** The commits in `previous..sha`, oldest first, the last one being `sha` (at most `maxCommits`). */
  readonly commits: readonly CommitInfo[];
  /** How many commits `previous..sha` holds; more than `commits.length` only when capped. */
  readonly totalCommits: number;
  /** `previous` is not an ancestor of `sha`: history was rewritten (force push). */
  readonly forced: boolean;
  /** What asked for this sync; when several did, the strongest (manual > webhook > poll). */
  readonly trigger: SyncTrigger;
  /** When the first request this sync answers arrived (ms since epoch), for latency metrics. */
  readonly requestedAt: number;
}

/**
 * Called with each new head, one call at a time. A thrown error means "not handled": the head
 * is not recorded as synced, so the next trigger reports the same commits again.
 */
export type CommitsHandler = (event: CommitsEvent) => Promise<void>;

/** The part of `GitMirror` the watcher uses. */
export type CommitSource = Pick<
  GitMirror,
  'fetch' | 'head' | 'hasCommit' | 'commitsBetween' | 'url' | 'branch'
>;

/** Refetches after 0.5, 1, 2 and 4 s when a webhook names a commit the remote does not show yet. */
const EXPECTED_RETRY_DELAYS_MS = [500, 1000, 2000, 4000] as const;

export interface GitWatcherOptions {
  readonly source: CommitSource;
  readonly handler: CommitsHandler;
  /** The head the handler last handled (from the state store), so a restart misses nothing. */
  readonly since?: string;
  /** Poll interval; 0 disables polling. Default 30 s. */
  readonly pollIntervalMs?: number;
  /** Each poll waits `interval × (1 ± jitter)`, so operators do not poll in step. Default 0.1. */
  readonly jitter?: number;
  /**
   * Webhook and poll requests wait until none has arrived for this long, so a burst of pushes
   * becomes one sync. Default 250 ms; manual syncs do not wait.
   */
  readonly settleMs?: number;
  /** The longest a request waits for a burst to settle. Default 2 s. */
  readonly maxSettleMs?: number;
  /** Most commits listed in one event (the newest). Default 1000. */
  readonly maxCommits?: number;
  readonly logger?: Logger;
  /** Each sync is a root span with its git fetch as a child. */
  readonly telemetry?: Telemetry;
  /** Failures of fetches and of the handler; the watcher keeps going. */
  readonly onError?: (error: unknown) => void;
  readonly random?: () => number;
}

export interface WatcherStatus {
  readonly url: string;
  readonly branch: string;
  readonly lastSynced: string | undefined;
  readonly lastFetchedAt: number | undefined;
  readonly lastError: string | undefined;
  readonly syncing: boolean;
  readonly pending: SyncTrigger | undefined;
  readonly handlerCalls: number;
}

const TRIGGER_RANK: Readonly<Record<SyncTrigger, number>> = { poll: 0, webhook: 1, manual: 2 };

interface Waiter {
  resolve(event: CommitsEvent | undefined): void;
  reject(error: unknown): void;
}

export class GitWatcher {
  readonly #source: CommitSource;
  readonly #handler: CommitsHandler;
  readonly #pollIntervalMs: number;
  readonly #jitter: number;
  readonly #maxCommits: number;
  readonly #settleMs: number;
  readonly #maxSettleMs: number;
  readonly #logger: Logger | undefined;
  readonly #telemetry: Telemetry | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #random: () => number;
  #lastSynced: string | undefined;
  #pending:
    | { trigger: SyncTrigger; requestedAt: number; lastRequestAt: number; expected: string | undefined }
    | undefined;
  readonly #expectedRetries = new Map<string, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  #wake: (() => void) | undefined;
  #waiters: Waiter[] = [];
  #draining: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;
  #lastFetchedAt: number | undefined;
  #lastError: string | undefined;
  #handlerCalls = 0;

  constructor({
    source,
    handler,
    since,
    pollIntervalMs = 30_000,
    jitter = 0.1,
    maxCommits = 1000,
    settleMs = 250,
    maxSettleMs = 2000,
    logger,
    telemetry,
    onError,
    random = Math.random,
  }: GitWatcherOptions) {
    this.#source = source;
    this.#handler = handler;
    this.#lastSynced = since;
    this.#pollIntervalMs = pollIntervalMs;
    this.#jitter = Math.min(Math.max(jitter, 0), 1);
    this.#maxCommits = Math.max(1, maxCommits);
    this.#settleMs = Math.max(0, settleMs);
    this.#maxSettleMs = Math.max(this.#settleMs, maxSettleMs);
    this.#logger = logger;
    this.#telemetry = telemetry;
    this.#onError = onError;
    this.#random = random;
  }

  /** The head the handler last handled. */
  get lastSynced(): string | undefined {
    return this.#lastSynced;
  }

  get status(): WatcherStatus {
    return {
      url: redactUrl(this.#source.url),
      branch: this.#source.branch,
      lastSynced: this.#lastSynced,
      lastFetchedAt: this.#lastFetchedAt,
      lastError: this.#lastError,
      syncing: this.#draining !== undefined,
      pending: this.#pending?.trigger,
      handlerCalls: this.#handlerCalls,
    };
  }

  /** Starts polling, beginning with an immediate sync. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.notify('poll');
    this.#schedulePoll();
  }

  /**
   * Asks for a sync soon. Cheap and safe to call in bursts: requests made while a sync runs
   * coalesce into one more sync of the newest head. `expectedSha` (a webhook's new head) makes
   * the watcher refetch a few times if the remote does not show that commit yet, instead of
   * leaving it to the next poll.
   */
  notify(trigger: SyncTrigger = 'webhook', expectedSha?: string): void {
    void this.#request(trigger, expectedSha).catch(() => {
      // Reported through onError by the drain loop; a notification has nobody to answer.
    });
  }

  /**
   * Syncs now and resolves with the event the handler received (undefined when the head had
   * not moved). A manual sync calls the handler even when the head has not moved.
   */
  syncNow(): Promise<CommitsEvent | undefined> {
    return this.#request('manual');
  }

  /** Stops polling and taking requests; waits for the sync in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#wake?.();
    await this.#draining;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(undefined);
    this.#pending = undefined;
  }

  #request(trigger: SyncTrigger, expected?: string): Promise<CommitsEvent | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    const now = Date.now();
    const pending = this.#pending;
    this.#pending = {
      trigger: pending && TRIGGER_RANK[pending.trigger] >= TRIGGER_RANK[trigger] ? pending.trigger : trigger,
      requestedAt: pending?.requestedAt ?? now,
      lastRequestAt: now,
      expected: expected ?? pending?.expected,
    };
    if (trigger === 'manual') this.#wake?.();
    const answer = new Promise<CommitsEvent | undefined>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
    this.#kick();
    return answer;
  }

  /** Starts the drain loop unless it runs; a request that lands as it ends starts it again. */
  #kick(): void {
    if (this.#draining || this.#stopped) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#pending) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending && !this.#stopped) {
      await this.#settle();
      if (!this.#pending || this.#stopped) break;
      const { trigger, requestedAt, expected } = this.#pending;
      const waiters = this.#waiters.splice(0);
      this.#pending = undefined;
      try {
        const telemetry = this.#telemetry;
        const event = telemetry
          ? await telemetry.rootSpan(
              'sync',
              { 'slipway.span': 'sync', 'slipway.trigger': trigger, 'cicd.pipeline.name': 'sync' },
              async (span) => {
                const synced = await this.#syncOnce(trigger, requestedAt, expected);
                span.setAttribute('slipway.changed', synced !== undefined);
                if (synced) span.setAttribute('vcs.ref.head.revision', synced.sha);
                return synced;
              },
            )
          : await this.#syncOnce(trigger, requestedAt, expected);
        this.#lastError = undefined;
        for (const waiter of waiters) waiter.resolve(event);
      } catch (error) {
        this.#lastError = errorMessage(error);
        this.#logger?.warn({ err: error, trigger }, 'git sync failed');
        this.#onError?.(error);
        for (const waiter of waiters) waiter.reject(error);
      }
    }
  }

  /** Waits while requests keep arriving, up to the settle bound; manual requests cut it short. */
  async #settle(): Promise<void> {
    for (;;) {
      const pending = this.#pending;
      if (!pending || this.#stopped || pending.trigger === 'manual') return;
      const until = Math.min(pending.lastRequestAt + this.#settleMs, pending.requestedAt + this.#maxSettleMs);
      const wait = until - Date.now();
      if (wait <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #syncOnce(
    trigger: SyncTrigger,
    requestedAt: number,
    expected: string | undefined,
  ): Promise<CommitsEvent | undefined> {
    const sha = this.#telemetry
      ? await this.#telemetry.span(
          'git fetch',
          {
            'slipway.span': 'git',
            'slipway.git.operation': 'fetch',
            'vcs.ref.head.name': this.#source.branch,
          },
          () => this.#source.fetch(),
        )
      : await this.#source.fetch();
    this.#lastFetchedAt = Date.now();
    if (expected !== undefined) await this.#checkExpected(expected, sha, trigger);
    const previous = this.#lastSynced;
    if (sha === previous && trigger !== 'manual') return undefined;
    const range =
      sha === previous
        ? { commits: [], total: 0, forced: false }
        : await this.#source.commitsBetween(previous, sha, this.#maxCommits);
    const event: CommitsEvent = {
      sha,
      previous,
      commits: range.commits,
      totalCommits: range.total,
      forced: range.forced,
      trigger,
      requestedAt,
    };
    this.#logger?.info(
      { sha, previous, commits: range.total, forced: range.forced, trigger },
      sha === previous ? 'sync requested, branch unchanged' : 'new commits on the branch',
    );
    this.#handlerCalls += 1;
    await this.#handler(event);
    this.#lastSynced = sha;
    return event;
  }

  /** A webhook named `expected`; if the fetch did not bring it, fetch again shortly (bounded). */
  async #checkExpected(expected: string, head: string, trigger: SyncTrigger): Promise<void> {
    if (expected === head || (await this.#source.hasCommit(expected))) {
      this.#expectedRetries.delete(expected);
      return;
    }
    const attempt = this.#expectedRetries.get(expected) ?? 0;
    const delay = EXPECTED_RETRY_DELAYS_MS[attempt];
    if (delay === undefined) {
      this.#expectedRetries.delete(expected);
      this.#logger?.warn(
        { expected, head },
        'a webhook named a commit the remote never showed; polling will catch up',
      );
      return;
    }
    this.#expectedRetries.set(expected, attempt + 1);
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      this.notify(trigger, expected);
    }, delay);
    timer.unref();
    this.#retryTimers.add(timer);
  }

  #schedulePoll(): void {
    if (this.#pollIntervalMs <= 0 || this.#stopped) return;
    const spread = 1 + this.#jitter * (2 * this.#random() - 1);
    this.#timer = setTimeout(
      function pollTick(this: GitWatcher) {
        this.notify('poll');
        this.#schedulePoll();
      }.bind(this),
      Math.max(1, Math.round(this.#pollIntervalMs * spread)),
    );
    // The server and the lease keep the process alive; a poll timer alone should not.
    this.#timer.unref();
  }
}
