/**
 * The operator's memory of its recent traces, for `GET /api/v1/traces` (and the dashboard): a
 * span processor that keeps the last `maxTraces` traces, each up to `maxSpans` spans, as plain
 * data. Old traces fall out as new ones arrive; nothing here grows without bound.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TraceSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly startTime: string;
  readonly durationMs: number;
  readonly status: 'unset' | 'ok' | 'error';
  readonly statusMessage: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface TraceSummary {
  readonly traceId: string;
  /** The root span's name (`release prod`, `sync`, …); the first span seen if the root is missing. */
  readonly name: string;
  readonly startTime: string;
  readonly durationMs: number;
  readonly status: 'unset' | 'ok' | 'error';
  readonly spans: readonly TraceSpan[];
}

const STATUS = ['unset', 'ok', 'error'] as const;

export class RecentTraces implements SpanProcessor {
  readonly #maxTraces: number;
  readonly #maxSpans: number;
  /** Insertion order is age: the first key is the oldest trace. */
  readonly #traces = new Map<string, TraceSpan[]>();

  constructor({ maxTraces = 200, maxSpans = 500 }: { maxTraces?: number; maxSpans?: number } = {}) {
    this.#maxTraces = maxTraces;
    this.#maxSpans = maxSpans;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const { traceId, spanId } = span.spanContext();
    let spans = this.#traces.get(traceId);
    if (!spans) {
      spans = [];
      this.#traces.set(traceId, spans);
      while (this.#traces.size > this.#maxTraces) {
        const oldest = this.#traces.keys().next().value as string;
        this.#traces.delete(oldest);
      }
    }
    if (spans.length >= this.#maxSpans) return;
    const [seconds, nanos] = span.startTime;
    const [dSeconds, dNanos] = span.duration;
    spans.push({
      traceId,
      spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      name: span.name,
      startTime: new Date(seconds * 1000 + nanos / 1e6).toISOString(),
      durationMs: dSeconds * 1000 + dNanos / 1e6,
      status: STATUS[span.status.code] ?? 'unset',
      statusMessage: span.status.message,
      attributes: { ...span.attributes },
    });
  }

  /** Newest first; `traceId` picks one. */
  list({ limit = 50, traceId }: { limit?: number; traceId?: string } = {}): TraceSummary[] {
    const ids = traceId ? [traceId] : [...this.#traces.keys()].reverse();
    const out: TraceSummary[] = [];
    for (const id of ids) {
      const spans = this.#traces.get(id);
      if (!spans || spans.length === 0) continue;
      const ids = new Set(spans.map((s) => s.spanId));
      const root = spans.find((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)) ?? spans[0];
      if (!root) continue;
      out.push({
        traceId: id,
        name: root.name,
        startTime: root.startTime,
        durationMs: root.durationMs,
        status: root.status,
        spans: [...spans].sort((a, b) => a.startTime.localeCompare(b.startTime)),
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
