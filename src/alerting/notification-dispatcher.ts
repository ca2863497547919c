/**
 * The bounded queue between evaluation and the channels. `push` never waits: each channel has
 * its own small queue and one sender, so a channel that is slow or down delays only its own
 * notifications, never a release and never another channel. A failed delivery is retried with
 * exponential backoff and full jitter (each attempt bounded by a timeout); after the last
 * attempt, or when the channel's queue is full, or the channel cannot be built (its secret's
 * variable unset), the notification is dropped and counted by channel and reason.
 */

import { withDeadline } from '../core/deadline.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Delivery } from './alert-evaluator.js';
import type { Notifier } from './notifier.js';

export type DropReason = 'queue_full' | 'failed' | 'unconfigured' | 'shutdown';

export interface DispatcherOptions {
  /** The notifier of a channel, or undefined when it is not configured. */
  readonly notifier: (channel: string) => Notifier | undefined;
  /** Notifications waiting per channel before new ones are dropped. Default 100. */
  readonly maxQueue?: number;
  /** Attempts per notification (the first and the retries). Default 5. */
  readonly maxAttempts?: number;
  /** First backoff; doubles per retry up to `maxDelayMs`, each a random fraction of that. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Per attempt. Default 10 s. */
  readonly timeoutMs?: number;
  readonly onDrop?: (channel: string, reason: DropReason, count: number) => void;
  readonly logger?: Logger;
  readonly random?: () => number;
}

export interface DispatcherStats {
  readonly delivered: number;
  readonly retried: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly queued: number;
}

interface ChannelQueue {
  readonly items: Delivery[];
  sending: Promise<void> | undefined;
}

export class NotificationDispatcher {
  readonly #o: Required<Omit<DispatcherOptions, 'onDrop' | 'logger'>> &
    Pick<DispatcherOptions, 'onDrop' | 'logger'>;
  readonly #queues = new Map<string, ChannelQueue>();
  readonly #dropped: Record<DropReason, number> = { queue_full: 0, failed: 0, unconfigured: 0, shutdown: 0 };
  readonly #abort = new AbortController();
  #delivered = 0;
  #retried = 0;
  #closed = false;

  constructor({
    notifier,
    maxQueue = 100,
    maxAttempts = 5,
    baseDelayMs = 1000,
    maxDelayMs = 60_000,
    timeoutMs = 10_000,
    onDrop,
    logger,
    random = Math.random,
  }: DispatcherOptions) {
    this.#o = { notifier, maxQueue, maxAttempts, baseDelayMs, maxDelayMs, timeoutMs, onDrop, logger, random };
  }

  get stats(): DispatcherStats {
    let queued = 0;
    for (const q of this.#queues.values()) queued += q.items.length + (q.sending === undefined ? 0 : 1);
    return { delivered: this.#delivered, retried: this.#retried, dropped: { ...this.#dropped }, queued };
  }

  /** Queues deliveries for their channels; returns at once. */
  push(deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      if (this.#closed) {
        this.#drop(delivery.channel, 'shutdown');
        continue;
      }
      if (!this.#o.notifier(delivery.channel)) {
        this.#drop(delivery.channel, 'unconfigured');
        continue;
      }
      const queue = this.#queue(delivery.channel);
      if (queue.items.length >= this.#o.maxQueue) {
        this.#drop(delivery.channel, 'queue_full');
        continue;
      }
      queue.items.push(delivery);
      this.#kick(delivery.channel, queue);
    }
  }

  /** Waits until every queue is empty (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const sending = [...this.#queues.values()].flatMap((q) => (q.sending ? [q.sending] : []));
      if (sending.length === 0) return;
      await Promise.all(sending);
    }
  }

  /**
   * Stops taking notifications and delivers what is queued within `deadlineMs` (no retries
   * wait past it); what is left is dropped as `shutdown`.
   */
  async close(deadlineMs = 5000): Promise<void> {
    this.#closed = true;
    const timer = setTimeout(() => this.#abort.abort(new Error('shutting down')), deadlineMs);
    timer.unref();
    try {
      await this.idle();
    } finally {
      clearTimeout(timer);
    }
  }

  #queue(channel: string): ChannelQueue {
    let queue = this.#queues.get(channel);
    if (!queue) {
      queue = { items: [], sending: undefined };
      this.#queues.set(channel, queue);
    }
    return queue;
  }

  #kick(channel: string, queue: ChannelQueue): void {
    if (queue.sending !== undefined) return;
    queue.sending = this.#drainChannel(channel, queue).finally(() => {
      queue.sending = undefined;
    });
  }

  async #drainChannel(channel: string, queue: ChannelQueue): Promise<void> {
    for (let next = queue.items.shift(); next; next = queue.items.shift()) {
      if (this.#abort.signal.aborted) {
        this.#drop(channel, 'shutdown', 1 + queue.items.length);
        queue.items.length = 0;
        return;
      }
      await this.#deliver(next);
    }
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const { channel, notification } = delivery;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      const notifier = this.#o.notifier(channel);
      if (!notifier) return this.#drop(channel, 'unconfigured');
      try {
        await this.#attempt(notifier, delivery);
        this.#delivered += 1;
        return;
      } catch (error) {
        lastError = error;
        if (this.#abort.signal.aborted) return this.#drop(channel, 'shutdown');
        if (attempt === this.#o.maxAttempts) break;
        this.#retried += 1;
        const ceiling = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempt - 1));
        // Full jitter: operators that all failed together do not retry together.
        if (!(await this.#sleep(Math.round(ceiling * this.#o.random()))))
          return this.#drop(channel, 'shutdown');
      }
    }
    this.#o.logger?.warn(
      {
        channel,
        group: notification.groupKey,
        status: notification.status,
        attempts: this.#o.maxAttempts,
        error: errorMessage(lastError),
      },
      'alert notification dropped after its retries',
    );
    this.#drop(channel, 'failed');
  }

  async #attempt(notifier: Notifier, { notification }: Delivery): Promise<void> {
    // A notifier that ignores the signal (SMTP) is still cut off at the deadline or on shutdown.
    await withDeadline(
      (signal) => notifier.send(notification, { signal }),
      this.#o.timeoutMs,
      this.#abort.signal,
    );
  }

  /** Resolves true after `ms`, false at once when shutting down. */
  #sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#abort.signal.aborted) return resolve(false);
      const timer = setTimeout(() => {
        this.#abort.signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      timer.unref();
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #drop(channel: string, reason: DropReason, count = 1): void {
    this.#dropped[reason] += count;
    this.#o.onDrop?.(channel, reason, count);
  }
}
