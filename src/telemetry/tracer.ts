/**
 * The tracing seam: an OpenTelemetry tracer provider owned by Slipway (not the global one), so a
 * command, a test or the operator decides where spans go. Exporters plug in as span processors;
 * with none configured spans are still created, carry trace ids into logs, and cost little.
 */
import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { errorMessage } from '../core/errors.js';

let contextManagerInstalled = false;

export interface Telemetry {
  readonly tracer: Tracer;
  /** Runs `body` in a new active span; records errors and ends the span either way. */
  span<T>(
    name: string,
    attributes: Readonly<Record<string, string | number | boolean>>,
    body: (span: Span) => Promise<T>,
  ): Promise<T>;
  shutdown(): Promise<void>;
}

export function createTelemetry({
  processors = [],
}: {
  readonly processors?: readonly SpanProcessor[];
} = {}): Telemetry {
  if (!contextManagerInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerInstalled = true;
  }
  const provider = new BasicTracerProvider({ spanProcessors: [...processors] });
  const tracer = provider.getTracer('slipway');
  return {
    tracer,
    span: function runInSpan(name, attributes, body) {
      return tracer.startActiveSpan(name, { attributes }, async (span) => {
        try {
          const result = await body(span);
          span.setStatus({ code: SpanStatusCode.OK });
          return result;
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: errorMessage(error),
          });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The active trace id, for log lines and error reports. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
