/**
 * Slipway's metrics (prom-client), named as Prometheus advises: the `slipway_` prefix, base
 * units (seconds, bytes), `_total` for counters, and only low-cardinality labels (environment,
 * kind, outcome, model — never a release id, a commit or a user). They are read from the spans
 * the code already makes (`SpanMetrics`), so instrumenting a step once gives both its trace and
 * its numbers. Process CPU, memory and event-loop lag are prom-client's collectors under the
 * standard `process_*` and `nodejs_*` names every Prometheus client library uses (so the usual
 * dashboards and alerts work unchanged). Counters registered in prom-client's default registry
 * elsewhere (`slipway_log_events_dropped_total`) are exported with the rest.
 */

import { Counter, collectDefaultMetrics, Histogram, Registry, register } from 'prom-client';
import { SLIPWAY_METRICS } from '../../core/metric-names.js';
import { type ExporterStats, type ModelWrite, registerScrapedGauges } from './scraped-gauges.js';

const SECONDS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/** prom-client's gauges that end in `_total` (promtool rejects them); their unsuffixed twins stay. */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Told of every histogram observation, with its labels (the EMF exporter keeps the values). */
export type ObservationListener = (
  name: string,
  labels: Readonly<Record<string, string>>,
  value: number,
) => void;

export interface SlipwayMetricsOptions {
  /** Files whose size `slipway_warehouse_file_size_bytes` reports (a DuckDB file), read at scrape. */
  readonly warehouseFiles?: () => readonly string[];
  /** Delivery stats of the exporters (dropped telemetry), read at scrape. */
  readonly exporters?: () => readonly ExporterStats[];
  /** When each environment's models were last written, read at scrape (`slipway_model_data_age_seconds`). */
  readonly modelWrites?: () => Promise<readonly ModelWrite[]>;
  /** Process collectors (CPU, RSS, event loop). Default on. */
  readonly processMetrics?: boolean;
  readonly now?: () => number;
}

type Labels = Record<string, string>;

export class SlipwayMetrics {
  readonly registry = new Registry();
  readonly releaseDuration: Histogram<'environment' | 'kind' | 'strategy' | 'outcome'>;
  readonly releases: Counter<'environment' | 'kind' | 'outcome'>;
  readonly runDuration: Histogram<'environment' | 'outcome'>;
  readonly runs: Counter<'environment' | 'outcome'>;
  readonly modelBuildDuration: Histogram<'model' | 'outcome'>;
  readonly modelRows: Counter<'model'>;
  readonly checkResults: Counter<'status' | 'severity'>;
  readonly switchDuration: Histogram<'environment'>;
  readonly verifyDuration: Histogram<'environment' | 'outcome'>;
  readonly lockWait: Histogram<'environment'>;
  readonly webhooks: Counter<'provider' | 'status'>;
  readonly syncs: Counter<'trigger' | 'outcome'>;
  readonly gitErrors: Counter<'operation'>;
  readonly statementDuration: Histogram<'system' | 'operation'>;
  readonly ciRuns: Counter<'outcome'>;
  readonly #listeners = new Set<ObservationListener>();
  readonly #newest = new Map<string, { kind: string; name: string; ms: number }>();
  readonly #processMetrics: boolean;

  constructor({
    warehouseFiles,
    exporters,
    modelWrites,
    processMetrics = true,
    now = Date.now,
  }: SlipwayMetricsOptions = {}) {
    const registers = [this.registry];
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Histogram<L>({ name, help, labelNames, buckets: SECONDS, registers });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.releaseDuration = histogram(
      SLIPWAY_METRICS.releaseDuration,
      'Time from a release being recorded to its switch (or failure).',
      ['environment', 'kind', 'strategy', 'outcome'],
    );
    this.releases = counter(
      SLIPWAY_METRICS.releases,
      'Releases by environment, kind (apply, promote, rollback) and outcome.',
      ['environment', 'kind', 'outcome'],
    );
    this.runDuration = histogram(
      SLIPWAY_METRICS.runDuration,
      'Duration of data refresh runs of an environment.',
      ['environment', 'outcome'],
    );
    this.runs = counter(SLIPWAY_METRICS.runs, 'Data refresh runs by environment and outcome.', [
      'environment',
      'outcome',
    ]);
    this.modelBuildDuration = histogram(
      'slipway_model_build_duration_seconds',
      'Time to build one model version (or refresh it in a run).',
      ['model', 'outcome'],
    );
    this.modelRows = counter(
      'slipway_model_rows_written_total',
      'Rows written to model tables by builds and runs.',
      ['model'],
    );
    this.checkResults = counter(
      SLIPWAY_METRICS.checkResults,
      'Data-quality check results by status (pass, fail, warn, error) and severity.',
      ['status', 'severity'],
    );
    this.switchDuration = histogram(
      SLIPWAY_METRICS.switchDuration,
      'Time of an environment switch (its views re-pointed in one transaction).',
      ['environment'],
    );
    this.verifyDuration = histogram(
      'slipway_verification_duration_seconds',
      'Time of a post-deploy verification.',
      ['environment', 'outcome'],
    );
    this.lockWait = histogram('slipway_lock_wait_seconds', "Time spent waiting for an environment's lock.", [
      'environment',
    ]);
    this.webhooks = counter('slipway_webhooks_total', 'Webhook deliveries by provider and HTTP status.', [
      'provider',
      'status',
    ]);
    this.syncs = counter(
      'slipway_syncs_total',
      'Git syncs of the operator by trigger (webhook, poll, manual) and outcome.',
      ['trigger', 'outcome'],
    );
    this.gitErrors = counter('slipway_git_errors_total', 'Failed git operations (fetch).', ['operation']);
    this.statementDuration = histogram(
      'slipway_warehouse_statement_duration_seconds',
      'Warehouse statements by engine and operation.',
      ['system', 'operation'],
    );
    this.ciRuns = counter('slipway_ci_runs_total', 'Pull-request gate runs by outcome.', ['outcome']);
    registerScrapedGauges(this.registry, {
      warehouseFiles,
      exporters,
      modelWrites,
      newest: this.#newest,
      now,
    });
    this.#processMetrics = processMetrics;
  }

  /** Observes `value` on `histogram` and tells the listeners (EMF). */
  observe<L extends string>(
    histogram: Histogram<L>,
    labels: Partial<Record<L, string>>,
    value: number,
  ): void {
    histogram.observe(labels, value);
    const name = (histogram as unknown as { name: string }).name;
    for (const listener of this.#listeners) listener(name, labels as Labels, value);
  }

  /** Listens to every histogram observation; returns the function that stops it. */
  onObservation(listener: ObservationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The newest value a freshness check saw on `name` (a source or a model), epoch ms. */
  recordNewest(kind: 'source' | 'model', name: string, ms: number): void {
    this.#newest.set(`${kind}:${name}`, { kind, name, ms });
  }

  /** The registries this one's exposition and EMF read: its own, the process's, the default one. */
  registries(): readonly Registry[] {
    return this.#processMetrics ? [this.registry, processRegistry(), register] : [this.registry, register];
  }

  /** The text exposition format, for `GET /metrics`: this registry, then the others' series. */
  async exposition(): Promise<{ readonly contentType: string; readonly body: string }> {
    let body = await this.registry.metrics();
    const seen = new Set(this.registry.getMetricsAsArray().map((m) => nameOf(m)));
    for (const other of this.registries().slice(1)) {
      for (const metric of other.getMetricsAsArray()) {
        const name = nameOf(metric);
        if (seen.has(name)) continue;
        seen.add(name);
        body += `${await other.getSingleMetricAsString(name)}\n`;
      }
    }
    return { contentType: this.registry.contentType, body };
  }
}

const nameOf = (metric: unknown): string => (metric as { name: string }).name;

let processCollectors: Registry | undefined;

/**
 * prom-client's process collectors, once per process: they start an event-loop monitor and a GC
 * observer that are never stopped, so every registry (operator restarts, tests, benchmarks)
 * shares one set rather than each adding its own.
 */
function processRegistry(): Registry {
  if (!processCollectors) {
    processCollectors = new Registry();
    collectDefaultMetrics({ register: processCollectors });
    for (const name of MISNAMED_DEFAULTS) processCollectors.removeSingleMetric(name);
  }
  return processCollectors;
}
