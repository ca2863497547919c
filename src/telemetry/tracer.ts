/**
 * The tracing seam: an OpenTelemetry tracer provider owned by Slipway (not the global one), so a
 * command, a test or the operator decides where spans go. Exporters plug in as span processors;
 * with none configured spans are still created, carry trace ids into logs, and cost little.
 *
 * Releases, runs, CI gates, syncs and webhooks are root spans (`rootSpan`): a release the
 * operator starts inside a sync gets its own trace, linked to the sync's span, so each release
 * record names the one trace that shows it. Everything below them is a child (`span`).
 */
import {
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { errorMessage } from '../core/errors.js';
import type { LineageRecorder } from './lineage/lineage-recorder.js';

let contextManagerInstalled = false;

export type SpanAttributes = Readonly<Record<string, string | number | boolean | readonly string[]>>;

export interface Telemetry {
  readonly tracer: Tracer;
  /** Runs `body` in a new active span, a child of the active one; records errors and ends it. */
  span<T>(name: string, attributes: SpanAttributes, body: (span: Span) => Promise<T>): Promise<T>;
  /**
   * Like `span`, but the start of its own trace; the span active at the call (a sync starting a
   * release) is linked, not the parent.
   */
  rootSpan<T>(name: string, attributes: SpanAttributes, body: (span: Span) => Promise<T>): Promise<T>;
  /** Where OpenLineage run events go; undefined when lineage is off (nothing is collected for it). */
  readonly lineage: LineageRecorder | undefined;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  readonly processors?: readonly SpanProcessor[];
  readonly lineage?: LineageRecorder;
  /** `service.name` of the resource (OTEL_SERVICE_NAME). Default `slipway`. */
  readonly serviceName?: string;
  readonly resourceAttributes?: Readonly<Record<string, string>>;
}

export function createTelemetry({
  processors = [],
  lineage,
  serviceName = 'slipway',
  resourceAttributes = {},
}: TelemetryOptions = {}): Telemetry {
  if (!contextManagerInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerInstalled = true;
  }
  const provider = new BasicTracerProvider({
    spanProcessors: [...processors],
    resource: resourceFromAttributes({ ...resourceAttributes, 'service.name': serviceName }),
  });
  const tracer = provider.getTracer('slipway');
  const run = <T>(
    name: string,
    attributes: SpanAttributes,
    root: boolean,
    body: (span: Span) => Promise<T>,
  ): Promise<T> => {
    const active = trace.getActiveSpan()?.spanContext();
    const links: Link[] = root && active && trace.isSpanContextValid(active) ? [{ context: active }] : [];
    const kind = root ? SpanKind.SERVER : SpanKind.INTERNAL;
    return tracer.startActiveSpan(
      name,
      { attributes: attributes as Record<string, string>, root, links, kind },
      async function inSpan(span) {
        try {
          // Success leaves the status unset (as OpenTelemetry asks of instrumentation), so a body
          // may still mark its span failed without throwing (a run that failed, recorded).
          return await body(span);
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
  return {
    tracer,
    span: (name, attributes, body) => run(name, attributes, false, body),
    rootSpan: (name, attributes, body) => run(name, attributes, true, body),
    lineage,
    shutdown: async () => {
      await provider.shutdown();
      await lineage?.shutdown();
    },
  };
}

/** The active trace id, for log lines and error reports. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The active span's W3C ids, for lineage run ids and records that point at a trace. */
export function activeSpanIds(): { readonly traceId: string; readonly spanId: string } | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext)
    ? { traceId: spanContext.traceId, spanId: spanContext.spanId }
    : undefined;
}
