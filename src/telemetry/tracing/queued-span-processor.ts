/**
 * A span processor that never makes the traced code wait for its exporter: ended spans go into
 * a bounded `DeliveryQueue` and are exported in batches in the background. A collector that is
 * down or slow costs dropped spans (counted, shown in `/metrics`), never release time.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DeliveryQueue, type DeliveryStats } from '../delivery-queue.js';

export interface QueuedSpanProcessorOptions {
  readonly maxQueue?: number;
  readonly maxBatch?: number;
  readonly delayMs?: number;
  readonly timeoutMs?: number;
  readonly onError?: (error: unknown, dropped: number) => void;
}

export class QueuedSpanProcessor implements SpanProcessor {
  readonly #exporter: SpanExporter;
  readonly #queue: DeliveryQueue<ReadableSpan>;

  constructor(exporter: SpanExporter, options: QueuedSpanProcessorOptions = {}) {
    this.#exporter = exporter;
    this.#queue = new DeliveryQueue<ReadableSpan>({
      ...options,
      send: (batch) =>
        new Promise<void>((resolve, reject) => {
          exporter.export([...batch], (result) => {
            // ExportResultCode.SUCCESS (@opentelemetry/core) is 0.
            if (result.code === 0) resolve();
            else reject(result.error ?? new Error('the span exporter failed'));
          });
        }),
    });
  }

  get stats(): DeliveryStats {
    return this.#queue.stats;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return; // not sampled
    this.#queue.push(span);
  }

  forceFlush(): Promise<void> {
    return this.#queue.flush();
  }

  async shutdown(): Promise<void> {
    await this.#queue.drain();
    await this.#exporter.shutdown();
  }
}
