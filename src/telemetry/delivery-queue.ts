/**
 * The bounded buffer between the release path and a telemetry receiver (an OTLP collector, an
 * OpenLineage endpoint): `push` never waits — when the buffer is full the item is dropped and
 * counted — and one sender at a time ships batches in the background, each bounded by a
 * timeout. A receiver that is down or slow therefore costs the release at most the buffer's
 * memory, never its time; `drain` ships what is left on a clean shutdown, within a deadline.
 */

import { withDeadline } from '../core/deadline.js';

export interface DeliveryStats {
  /** Items handed to the receiver and acknowledged. */
  readonly delivered: number;
  /** Items dropped: the buffer was full, or the receiver failed or timed out on their batch. */
  readonly dropped: number;
  /** Items waiting in the buffer now. */
  readonly queued: number;
}

export interface DeliveryQueueOptions<T> {
  /** Ships one batch; rejects (or times out) to have the batch counted as dropped. */
  readonly send: (batch: readonly T[], signal: AbortSignal) => Promise<void>;
  readonly maxQueue?: number;
  readonly maxBatch?: number;
  /** How long items may wait for a fuller batch. */
  readonly delayMs?: number;
  readonly timeoutMs?: number;
  /** Told of each failed batch (for one warning, not one per item). */
  readonly onError?: (error: unknown, dropped: number) => void;
}

export class DeliveryQueue<T> {
  readonly #o: Required<Omit<DeliveryQueueOptions<T>, 'onError'>> & Pick<DeliveryQueueOptions<T>, 'onError'>;
  #items: T[] = [];
  #delivered = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #closed = false;

  constructor({
    send,
    maxQueue = 2048,
    maxBatch = 512,
    delayMs = 1000,
    timeoutMs = 10_000,
    onError,
  }: DeliveryQueueOptions<T>) {
    this.#o = { send, maxQueue, maxBatch, delayMs, timeoutMs, onError };
  }

  get stats(): DeliveryStats {
    return { delivered: this.#delivered, dropped: this.#dropped, queued: this.#items.length };
  }

  push(item: T): void {
    if (this.#closed || this.#items.length >= this.#o.maxQueue) {
      this.#dropped += 1;
      return;
    }
    this.#items.push(item);
    if (this.#items.length >= this.#o.maxBatch) this.#kick();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#kick();
      }, this.#o.delayMs);
      this.#timer.unref();
    }
  }

  /** Ships everything queued (batch after batch), giving up at `deadlineMs`; then refuses more. */
  async drain(deadlineMs = this.#o.timeoutMs): Promise<void> {
    this.#closed = true;
    const until = Date.now() + deadlineMs;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while ((this.#items.length > 0 || this.#sending) && Date.now() < until) {
      this.#kick();
      await this.#sending;
    }
    this.#dropped += this.#items.length;
    this.#items = [];
  }

  /** Ships what is queued now and waits for it (a test, `forceFlush`). */
  async flush(): Promise<void> {
    while (this.#items.length > 0 || this.#sending !== undefined) {
      this.#kick();
      await this.#sending;
    }
  }

  #kick(): void {
    if (this.#sending || this.#items.length === 0) return;
    const batch = this.#items.splice(0, this.#o.maxBatch);
    this.#sending = this.#ship(batch).finally(() => {
      this.#sending = undefined;
      if (this.#items.length >= this.#o.maxBatch) this.#kick();
      else if (this.#items.length > 0 && !this.#timer && !this.#closed) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#kick();
        }, this.#o.delayMs);
        this.#timer.unref();
      }
    });
  }

  async #ship(batch: readonly T[]): Promise<void> {
    try {
      await withDeadline((signal) => this.#o.send(batch, signal), this.#o.timeoutMs);
      this.#delivered += batch.length;
    } catch (error) {
      this.#dropped += batch.length;
      this.#o.onError?.(error, batch.length);
    }
  }
}
