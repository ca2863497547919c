/**
 * Log lines to Splunk's HTTP Event Collector (`POST /services/collector/event`): pino's JSON lines
 * become HEC event objects (`{"time","host","source","sourcetype","index","event"}`), sent in
 * batches as one body of concatenated JSON objects, gzip-compressed, with
 * `Authorization: Splunk <token>`. A batch is retried with exponential backoff and full jitter on
 * 429, 5xx, network errors and HEC's retryable codes (8 internal error, 9 server busy); other
 * refusals (bad token, bad format) drop the batch and count it.
 *
 * Writing never waits for the network: lines go to a bounded buffer, and when it is full new
 * lines are dropped and counted (`slipway_log_events_dropped_total{sink="splunk_hec"}`), so a
 * slow or dead collector costs the release path one array push per line. `close()` sends what is
 * buffered before it resolves.
 */
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { DropCounter } from './drop-counter.js';

const gzipAsync = promisify(gzip);
/** HEC status codes worth a retry: 8 internal server error, 9 server is busy. */
const RETRYABLE_HEC_CODES = new Set([8, 9]);

export interface SplunkHecOptions {
  /** The collector's base URL (`https://splunk:8088`) or its full event endpoint. */
  readonly url: string;
  /** The HEC token (from an environment variable; never logged). */
  readonly token: string;
  readonly dropped: DropCounter;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly index?: string;
  readonly host?: string;
  /** Events per request. Default 100. */
  readonly batchSize?: number;
  /** Events held at most while the collector is slow or down. Default 10 000. */
  readonly maxBuffer?: number;
  readonly flushIntervalMs?: number;
  /** Attempts per batch beyond the first. Default 5. */
  readonly maxRetries?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Per-request timeout. Default 5 s. */
  readonly timeoutMs?: number;
  /** Told (without the token) when a batch is given up, for the process's own diagnostics. */
  readonly onGiveUp?: (reason: string, events: number) => void;
}

interface HecEvent {
  readonly time: number;
  readonly host: string;
  readonly source: string;
  readonly sourcetype: string;
  readonly index?: string;
  readonly event: unknown;
}

export class SplunkHecSink {
  readonly #o: Required<Omit<SplunkHecOptions, 'index' | 'onGiveUp'>> &
    Pick<SplunkHecOptions, 'index' | 'onGiveUp'>;
  readonly #endpoint: string;
  readonly #buffer: HecEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #closed = false;
  /** Batches delivered, for tests and the benchmark. */
  delivered = 0;

  constructor(options: SplunkHecOptions) {
    this.#o = {
      source: 'slipway',
      sourcetype: '_json',
      host: hostname(),
      batchSize: 100,
      maxBuffer: 10_000,
      flushIntervalMs: 1000,
      maxRetries: 5,
      baseBackoffMs: 200,
      maxBackoffMs: 10_000,
      timeoutMs: 5000,
      ...options,
    };
    const base = options.url.replace(/\/+$/, '');
    this.#endpoint = /\/services\/collector(\/event)?$/.test(base)
      ? base.replace(/\/services\/collector$/, '/services/collector/event')
      : `${base}/services/collector/event`;
  }

  /** Takes one or more pino JSON lines; never blocks. */
  write(chunk: string): boolean {
    for (const line of chunk.split('\n')) {
      if (!line) continue;
      if (this.#closed || this.#buffer.length >= this.#o.maxBuffer) {
        this.#o.dropped.inc(1);
        continue;
      }
      this.#buffer.push(this.#toEvent(line));
    }
    if (this.#buffer.length >= this.#o.batchSize) this.#kick();
    else this.#schedule();
    return true;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Sends everything buffered now (retrying as configured). */
  async flush(): Promise<void> {
    while (this.#buffer.length > 0 || this.#sending !== undefined) {
      this.#kick();
      await this.#sending;
    }
  }

  /** Refuses new lines, then sends what is buffered. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #toEvent(line: string): HecEvent {
    let event: unknown = line;
    let time = Date.now() / 1000;
    try {
      event = JSON.parse(line);
      const t = (event as { time?: unknown }).time;
      const parsed = typeof t === 'string' ? Date.parse(t) : typeof t === 'number' ? t : Number.NaN;
      if (Number.isFinite(parsed)) time = parsed / 1000;
    } catch {
      // Not JSON (a pretty line): sent as a string event.
    }
    return {
      time,
      host: this.#o.host,
      source: this.#o.source,
      sourcetype: this.#o.sourcetype,
      ...(this.#o.index ? { index: this.#o.index } : {}),
      event,
    };
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#buffer.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#kick();
    }, this.#o.flushIntervalMs);
    this.#timer.unref();
  }

  /** Starts the send loop unless it runs. */
  #kick(): void {
    if (this.#sending !== undefined) return;
    this.#sending = this.#drain().finally(() => {
      this.#sending = undefined;
      this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#o.batchSize);
      await this.#sendWithRetries(batch);
    }
  }

  async #sendWithRetries(batch: readonly HecEvent[]): Promise<void> {
    const body = await gzipAsync(batch.map((e) => JSON.stringify(e)).join(''));
    let lastReason = '';
    for (let attempt = 0; attempt <= this.#o.maxRetries; attempt++) {
      if (attempt > 0) await sleep(this.#backoff(attempt));
      const outcome = await this.#post(body);
      if (outcome.ok) {
        this.delivered++;
        return;
      }
      lastReason = outcome.reason;
      if (!outcome.retry) break;
    }
    this.#o.dropped.inc(batch.length);
    this.#o.onGiveUp?.(lastReason, batch.length);
  }

  /** Full jitter: a random wait up to the exponential bound (AWS Architecture Blog, 2015). */
  #backoff(attempt: number): number {
    const bound = Math.min(this.#o.maxBackoffMs, this.#o.baseBackoffMs * 2 ** (attempt - 1));
    return Math.random() * bound;
  }

  async #post(body: Buffer): Promise<{ ok: true } | { ok: false; retry: boolean; reason: string }> {
    try {
      const response = await fetch(this.#endpoint, {
        method: 'POST',
        headers: {
          authorization: `Splunk ${this.#o.token}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      const text = await response.text();
      let code: number | undefined;
      try {
        code = (JSON.parse(text) as { code?: number }).code;
      } catch {
        code = undefined;
      }
      if (response.ok && (code === undefined || code === 0)) return { ok: true };
      const retry =
        response.status === 429 ||
        response.status >= 500 ||
        (code !== undefined && RETRYABLE_HEC_CODES.has(code));
      return {
        ok: false,
        retry,
        reason: `HTTP ${response.status}${code === undefined ? '' : ` code ${code}`}`,
      };
    } catch (error) {
      return { ok: false, retry: true, reason: error instanceof Error ? error.name : 'network error' };
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
