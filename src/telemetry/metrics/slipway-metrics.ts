/**
 * Slipway's metrics (prom-client), named as Prometheus advises: the `slipway_` prefix, base
 * units (seconds, bytes), `_total` for counters, and only low-cardinality labels (environment,
 * kind, outcome, model — never a release id, a commit or a user). They are read from the spans
 * the code already makes (`SpanMetrics`), so instrumenting a step once gives both its trace and
 * its numbers; process CPU, memory and event-loop lag come from prom-client's collectors.
 */

import { stat } from 'node:fs/promises';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { SLIPWAY_METRICS } from '../../core/metric-names.js';

const SECONDS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export interface SlipwayMetricsOptions {
  /** Files whose size `slipway_warehouse_file_size_bytes` reports (a DuckDB file), read at scrape. */
  readonly warehouseFiles?: () => readonly string[];
  /** Delivery stats of the exporters (dropped telemetry), read at scrape. */
  readonly exporters?: () => readonly {
    readonly exporter: string;
    readonly stats: { readonly dropped: number; readonly delivered: number; readonly queued: number };
  }[];
  /** Process collectors (CPU, RSS, event loop). Default on. */
  readonly processMetrics?: boolean;
}

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

  constructor({ warehouseFiles, exporters, processMetrics = true }: SlipwayMetricsOptions = {}) {
    const registers = [this.registry];
    this.releaseDuration = new Histogram({
      name: SLIPWAY_METRICS.releaseDuration,
      help: 'Time from a release being recorded to its switch (or failure).',
      labelNames: ['environment', 'kind', 'strategy', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.releases = new Counter({
      name: SLIPWAY_METRICS.releases,
      help: 'Releases by environment, kind (apply, promote, rollback) and outcome.',
      labelNames: ['environment', 'kind', 'outcome'],
      registers,
    });
    this.runDuration = new Histogram({
      name: SLIPWAY_METRICS.runDuration,
      help: 'Duration of data refresh runs of an environment.',
      labelNames: ['environment', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.runs = new Counter({
      name: SLIPWAY_METRICS.runs,
      help: 'Data refresh runs by environment and outcome.',
      labelNames: ['environment', 'outcome'],
      registers,
    });
    this.modelBuildDuration = new Histogram({
      name: 'slipway_model_build_duration_seconds',
      help: 'Time to build one model version (or refresh it in a run).',
      labelNames: ['model', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.modelRows = new Counter({
      name: 'slipway_model_rows_written_total',
      help: 'Rows written to model tables by builds and runs.',
      labelNames: ['model'],
      registers,
    });
    this.checkResults = new Counter({
      name: SLIPWAY_METRICS.checkResults,
      help: 'Data-quality check results by status (pass, fail, warn, error) and severity.',
      labelNames: ['status', 'severity'],
      registers,
    });
    this.switchDuration = new Histogram({
      name: SLIPWAY_METRICS.switchDuration,
      help: 'Time of an environment switch (its views re-pointed in one transaction).',
      labelNames: ['environment'],
      buckets: SECONDS,
      registers,
    });
    this.verifyDuration = new Histogram({
      name: 'slipway_verification_duration_seconds',
      help: 'Time of a post-deploy verification.',
      labelNames: ['environment', 'outcome'],
      buckets: SECONDS,
      registers,
    });
    this.lockWait = new Histogram({
      name: 'slipway_lock_wait_seconds',
      help: "Time spent waiting for an environment's lock.",
      labelNames: ['environment'],
      buckets: SECONDS,
      registers,
    });
    this.webhooks = new Counter({
      name: 'slipway_webhooks_total',
      help: 'Webhook deliveries by provider and HTTP status.',
      labelNames: ['provider', 'status'],
      registers,
    });
    this.syncs = new Counter({
      name: 'slipway_syncs_total',
      help: 'Git syncs of the operator by trigger (webhook, poll, manual) and outcome.',
      labelNames: ['trigger', 'outcome'],
      registers,
    });
    this.gitErrors = new Counter({
      name: 'slipway_git_errors_total',
      help: 'Failed git operations (fetch).',
      labelNames: ['operation'],
      registers,
    });
    this.statementDuration = new Histogram({
      name: 'slipway_warehouse_statement_duration_seconds',
      help: 'Warehouse statements by engine and operation.',
      labelNames: ['system', 'operation'],
      buckets: SECONDS,
      registers,
    });
    this.ciRuns = new Counter({
      name: 'slipway_ci_runs_total',
      help: 'Pull-request gate runs by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    if (warehouseFiles) {
      new Gauge({
        name: 'slipway_warehouse_file_size_bytes',
        help: 'Size of the embedded warehouse file (DuckDB) on disk.',
        registers,
        async collect() {
          let total = 0;
          for (const file of warehouseFiles()) {
            total += await stat(file).then(
              (s) => s.size,
              () => 0,
            );
          }
          this.set(total);
        },
      });
    }
    if (exporters) {
      const counted = new Map<string, number>();
      new Counter({
        name: 'slipway_telemetry_dropped_total',
        help: 'Telemetry items (spans, lineage events) dropped: buffer full or receiver down or slow.',
        labelNames: ['exporter'],
        registers,
        collect() {
          // The exporters count; the counter follows their totals.
          for (const e of exporters()) {
            const delta = e.stats.dropped - (counted.get(e.exporter) ?? 0);
            this.inc({ exporter: e.exporter }, Math.max(0, delta));
            counted.set(e.exporter, e.stats.dropped);
          }
        },
      });
      new Gauge({
        name: 'slipway_telemetry_queued',
        help: 'Telemetry items waiting in an exporter buffer.',
        labelNames: ['exporter'],
        registers,
        collect() {
          for (const e of exporters()) this.set({ exporter: e.exporter }, e.stats.queued);
        },
      });
    }
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'slipway_' });
  }

  /** The text exposition format, for `GET /metrics`. */
  async exposition(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
