/**
 * Publishes Slipway's metrics as CloudWatch EMF documents every `intervalMs` (and once more on
 * shutdown): each histogram observation since the last flush as a value (so CloudWatch's
 * statistics and percentiles are over the real observations), each counter's increase, and each
 * gauge's current value. Only Slipway's own series and the operator's CPU, memory and event-loop
 * lag are sent. Documents go through a bounded `DeliveryQueue`: a CloudWatch agent that is down
 * or slow costs dropped (counted) documents, never a release's time.
 */
import { DeliveryQueue, type DeliveryStats } from '../../delivery-queue.js';
import type { SlipwayMetrics } from '../slipway-metrics.js';
import { type EmfSample, emfDocuments, unitOfName } from './emf-documents.js';
import type { EmfSink } from './emf-sinks.js';

const PROCESS_SERIES = new Set([
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
]);

export interface EmfExporterOptions {
  readonly namespace: string;
  /** How often documents are written. Default 60 s (CloudWatch's standard resolution). */
  readonly intervalMs?: number;
  readonly maxQueue?: number;
  readonly now?: () => number;
  readonly onError?: (error: unknown, dropped: number) => void;
}

interface JsonMetric {
  readonly name: string;
  readonly type: string;
  readonly values: readonly { readonly value: number; readonly labels: Record<string, string | number> }[];
}

export class EmfExporter {
  readonly #metrics: SlipwayMetrics;
  readonly #sink: EmfSink;
  readonly #o: Required<Omit<EmfExporterOptions, 'onError'>>;
  readonly #onError: EmfExporterOptions['onError'];
  readonly #queue: DeliveryQueue<string>;
  readonly #observations = new Map<
    string,
    { name: string; labels: Record<string, string>; values: number[] }
  >();
  readonly #counted = new Map<string, number>();
  readonly #stopListening: () => void;
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();
  #failed = 0;

  constructor(metrics: SlipwayMetrics, sink: EmfSink, options: EmfExporterOptions) {
    this.#metrics = metrics;
    this.#sink = sink;
    const { onError, ...rest } = options;
    this.#o = { intervalMs: 60_000, maxQueue: 1000, now: Date.now, ...rest };
    this.#onError = onError;
    this.#queue = new DeliveryQueue<string>({
      send: (batch, signal) => sink.write(batch, signal),
      maxQueue: this.#o.maxQueue,
      maxBatch: 50,
      delayMs: 10,
      timeoutMs: 5000,
      ...(onError ? { onError } : {}),
    });
    this.#stopListening = metrics.onObservation((name, labels, value) => {
      const key = `${name}${JSON.stringify(labels)}`;
      let entry = this.#observations.get(key);
      if (!entry) {
        entry = { name, labels: { ...labels }, values: [] };
        this.#observations.set(key, entry);
      }
      // Bounded: past 10 000 values in one interval a series keeps its first ones.
      if (entry.values.length < 10_000) entry.values.push(value);
    });
    this.#timer = setInterval(() => void this.flush(), this.#o.intervalMs);
    this.#timer.unref();
  }

  get stats(): DeliveryStats {
    const s = this.#queue.stats;
    return { ...s, dropped: s.dropped + this.#failed };
  }

  /** Writes the documents for what happened since the last flush, and waits for them. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      let documents: string[] = [];
      try {
        documents = emfDocuments(await this.#samples(), {
          namespace: this.#o.namespace,
          timestamp: this.#o.now(),
          maxBytes: this.#sink.maxBytes,
        });
      } catch (error) {
        this.#failed += 1;
        this.#onError?.(error, 1);
      }
      for (const d of documents) this.#queue.push(d);
      await this.#queue.flush();
    });
    return this.#flushing;
  }

  async shutdown(): Promise<void> {
    clearInterval(this.#timer);
    this.#stopListening();
    await this.flush();
    await this.#queue.drain();
    await this.#sink.close();
  }

  async #samples(): Promise<EmfSample[]> {
    const out: EmfSample[] = [];
    for (const o of this.#observations.values()) {
      out.push({ name: o.name, unit: unitOfName(o.name), labels: o.labels, values: o.values });
    }
    this.#observations.clear();
    const snapshot: JsonMetric[] = [];
    for (const registry of this.#metrics.registries()) {
      snapshot.push(...((await registry.getMetricsAsJSON()) as unknown as JsonMetric[]));
    }
    const seen = new Set<string>();
    for (const metric of snapshot) {
      if (!metric.name.startsWith('slipway_') && !PROCESS_SERIES.has(metric.name)) continue;
      if (seen.has(metric.name)) continue;
      seen.add(metric.name);
      if (metric.type !== 'counter' && metric.type !== 'gauge') continue;
      for (const { value, labels } of metric.values) {
        const stringLabels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
        let reported = value;
        if (metric.type === 'counter') {
          const key = `${metric.name}${JSON.stringify(stringLabels)}`;
          reported = value - (this.#counted.get(key) ?? 0);
          this.#counted.set(key, value);
          if (reported <= 0) continue;
        }
        if (!Number.isFinite(reported)) continue;
        out.push({
          name: metric.name,
          unit: unitOfName(metric.name),
          labels: stringLabels,
          values: [reported],
        });
      }
    }
    return out;
  }
}
