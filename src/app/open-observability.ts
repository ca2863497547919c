/**
 * Opens the telemetry a process runs with, from the standard environment variables: traces over
 * OTLP/HTTP protobuf (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT; OTEL_BSP_*;
 * OTEL_SERVICE_NAME; OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true turn it off), lineage
 * over HTTP or to a file (OPENLINEAGE_URL, OPENLINEAGE_ENDPOINT, OPENLINEAGE_API_KEY,
 * OPENLINEAGE_NAMESPACE; SLIPWAY_LINEAGE_FILE), and for the operator the in-memory recent traces
 * and the Prometheus metrics. Every exporter sits behind a bounded queue: a receiver that is
 * down or slow drops (and counts) telemetry; it never slows a release.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { InvalidArgumentError } from '../core/errors.js';
import type { DeliveryStats } from '../telemetry/delivery-queue.js';
import { fileLineageTransport, httpLineageTransport } from '../telemetry/lineage/lineage-transports.js';
import { OpenLineageRecorder } from '../telemetry/lineage/openlineage-recorder.js';
import type { Logger } from '../telemetry/logger.js';
import { SlipwayMetrics } from '../telemetry/metrics/slipway-metrics.js';
import { SpanMetrics } from '../telemetry/metrics/span-metrics.js';
import { createTelemetry, type Telemetry } from '../telemetry/tracer.js';
import { QueuedSpanProcessor } from '../telemetry/tracing/queued-span-processor.js';
import { RecentTraces } from '../telemetry/tracing/recent-traces.js';
import { statementSpans } from '../telemetry/tracing/statement-spans.js';
import type { StatementObserver } from '../warehouse/statement-observer.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ObservabilityOptions {
  readonly env?: Env;
  /** The operator keeps recent traces and serves metrics; a command does neither. */
  readonly operator?: boolean;
  /** Files whose size is `slipway_warehouse_file_size_bytes`. */
  readonly warehouseFiles?: () => readonly string[];
  readonly logger?: Logger;
}

export interface Observability {
  readonly telemetry: Telemetry;
  /** Plug into `openWarehouse`: every statement a child span with `db.*` attributes. */
  readonly statementObserver: StatementObserver;
  readonly metrics: SlipwayMetrics | undefined;
  readonly recentTraces: RecentTraces | undefined;
  readonly exporters: () => readonly { readonly exporter: string; readonly stats: DeliveryStats }[];
  /** Exports what is queued now (tests, benchmarks). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The OTLP traces endpoint the variables name, or undefined when trace export is off. */
export function otlpTracesEndpoint(env: Env): string | undefined {
  if (isTrue(env['OTEL_SDK_DISABLED'])) return undefined;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((e) => e.trim());
  if (exporters.includes('none')) return undefined;
  const specific = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (specific) return specific;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  if (base) return `${base.replace(/\/+$/, '')}/v1/traces`;
  return exporters.includes('otlp') ? 'http://localhost:4318/v1/traces' : undefined;
}

/** `k1=v1,k2=v2` (values URL-encoded), as OTEL_EXPORTER_OTLP_HEADERS holds them. */
export function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    out[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return out;
}

export function openObservability({
  env = process.env,
  operator = false,
  warehouseFiles,
  logger,
}: ObservabilityOptions = {}): Observability {
  const processors: SpanProcessor[] = [];
  const exporters: { exporter: string; stats: () => DeliveryStats }[] = [];
  const warnOnce = (what: string) => {
    let warned = false;
    return (error: unknown, dropped: number) => {
      if (warned) return;
      warned = true;
      logger?.warn(
        { err: error, dropped },
        `${what} failed; telemetry is dropped (counted) until it answers`,
      );
    };
  };
  const endpoint = otlpTracesEndpoint(env);
  let spans: QueuedSpanProcessor | undefined;
  if (endpoint) {
    const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'];
    if (protocol && protocol !== 'http/protobuf') {
      throw new InvalidArgumentError(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported`, {
        hint: 'Slipway exports OTLP over HTTP with protobuf: unset it or set http/protobuf',
      });
    }
    const timeoutMs = numberOf(
      env['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'] ?? env['OTEL_EXPORTER_OTLP_TIMEOUT'],
      10_000,
    );
    const exporter = new OTLPTraceExporter({
      url: endpoint,
      headers: {
        ...parseOtlpHeaders(env['OTEL_EXPORTER_OTLP_HEADERS']),
        ...parseOtlpHeaders(env['OTEL_EXPORTER_OTLP_TRACES_HEADERS']),
      },
      timeoutMillis: timeoutMs,
    });
    spans = new QueuedSpanProcessor(exporter, {
      maxQueue: numberOf(env['OTEL_BSP_MAX_QUEUE_SIZE'], 2048),
      maxBatch: numberOf(env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'], 512),
      delayMs: numberOf(env['OTEL_BSP_SCHEDULE_DELAY'], 1000),
      timeoutMs: numberOf(env['OTEL_BSP_EXPORT_TIMEOUT'], timeoutMs),
      onError: warnOnce(`the OTLP trace export to ${endpoint}`),
    });
    processors.push(spans);
    const queued = spans;
    exporters.push({ exporter: 'otlp_traces', stats: () => queued.stats });
  }
  const lineage = openLineage(env, warnOnce('the OpenLineage export'));
  if (lineage) {
    const recorder = lineage;
    exporters.push({ exporter: 'openlineage', stats: () => recorder.stats });
  }
  const exporterStats = () => exporters.map((e) => ({ exporter: e.exporter, stats: e.stats() }));
  let metrics: SlipwayMetrics | undefined;
  let recentTraces: RecentTraces | undefined;
  if (operator) {
    metrics = new SlipwayMetrics({ exporters: exporterStats, ...(warehouseFiles ? { warehouseFiles } : {}) });
    recentTraces = new RecentTraces();
    processors.push(new SpanMetrics(metrics), recentTraces);
  }
  const serviceName = env['OTEL_SERVICE_NAME']?.trim() || 'slipway';
  const telemetry = createTelemetry({ processors, serviceName, ...(lineage ? { lineage } : {}) });
  return {
    telemetry,
    statementObserver: statementSpans(telemetry),
    metrics,
    recentTraces,
    exporters: exporterStats,
    flush: async () => {
      await spans?.forceFlush();
      await lineage?.flush();
    },
    shutdown: () => telemetry.shutdown(),
  };
}

function openLineage(
  env: Env,
  onError: (error: unknown, dropped: number) => void,
): OpenLineageRecorder | undefined {
  if (isTrue(env['OPENLINEAGE_DISABLED'])) return undefined;
  const namespace = env['OPENLINEAGE_NAMESPACE']?.trim() || 'slipway';
  const file = env['SLIPWAY_LINEAGE_FILE']?.trim();
  const url = env['OPENLINEAGE_URL']?.trim();
  if (!file && !url) return undefined;
  const transport = file
    ? fileLineageTransport(file)
    : httpLineageTransport(
        `${(url as string).replace(/\/+$/, '')}/${(env['OPENLINEAGE_ENDPOINT']?.trim() || 'api/v1/lineage').replace(/^\/+/, '')}`,
        env['OPENLINEAGE_API_KEY'] ? { apiKey: env['OPENLINEAGE_API_KEY'] } : {},
      );
  return new OpenLineageRecorder({
    transport,
    namespace,
    datasetNamespace: (engine) => `${engine}://${namespace}`,
    onError,
  });
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

function numberOf(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
}
