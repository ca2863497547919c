/**
 * Stand-in receivers for the tests, on 127.0.0.1 and a free port. They are NOT the real services
 * (no collector or Marquez runs here): each implements the published wire format exactly.
 * - OTLP/HTTP (https://opentelemetry.io/docs/specs/otlp/#otlphttp): `POST /v1/traces` with
 *   `Content-Type: application/x-protobuf`, the body an `ExportTraceServiceRequest` decoded with
 *   the official protobuf definitions (test/telemetry/otlp-proto, via protobufjs); answers 200
 *   with an empty `ExportTraceServiceResponse`.
 * - OpenLineage HTTP transport / Marquez: `POST /api/v1/lineage`, one JSON RunEvent per request,
 *   answered 201 as Marquez does.
 * `mode` makes it fail (503) or hang, for the fault tests.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import protobuf from 'protobufjs';

const PROTO_ROOT = path.join(import.meta.dirname, 'otlp-proto');

export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: { readonly code: number; readonly message: string };
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly resource: Readonly<Record<string, unknown>>;
}

export interface Receivers {
  readonly url: string;
  readonly spans: DecodedSpan[];
  readonly lineage: Record<string, unknown>[];
  /** Requests seen per path (including failed ones). */
  readonly requests: Map<string, number>;
  mode: 'ok' | 'fail' | 'hang';
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

type AnyValue = Record<string, unknown>;

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v['stringValue'];
  if ('boolValue' in v) return v['boolValue'];
  if ('intValue' in v) return Number(v['intValue']);
  if ('doubleValue' in v) return v['doubleValue'];
  if ('arrayValue' in v) return ((v['arrayValue'] as { values?: AnyValue[] }).values ?? []).map(value);
  return undefined;
}

function attributes(list: { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

export async function startReceivers(): Promise<Receivers> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
  await root.load('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
  const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const Response = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
  const hanging = new Set<() => void>();
  const receivers: Receivers = {
    url: '',
    spans: [],
    lineage: [],
    requests: new Map(),
    mode: 'ok',
    close: async () => {
      for (const release of hanging) release();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer(async (request, response) => {
    const route = request.url ?? '';
    receivers.requests.set(route, (receivers.requests.get(route) ?? 0) + 1);
    const bytes = await body(request);
    if (receivers.mode === 'hang') {
      await new Promise<void>((resolve) => hanging.add(resolve));
      response.destroy();
      return;
    }
    if (receivers.mode === 'fail') {
      response.writeHead(503).end();
      return;
    }
    if (request.method === 'POST' && route === '/v1/traces') {
      if (request.headers['content-type'] !== 'application/x-protobuf') {
        response.writeHead(415).end();
        return;
      }
      const decoded = Request.toObject(Request.decode(bytes), { longs: String, bytes: Uint8Array }) as {
        resourceSpans?: {
          resource?: { attributes?: { key: string; value: AnyValue }[] };
          scopeSpans?: { spans?: Record<string, unknown>[] }[];
        }[];
      };
      for (const rs of decoded.resourceSpans ?? []) {
        const resource = attributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const status = (s['status'] ?? {}) as { code?: number; message?: string };
            receivers.spans.push({
              traceId: hex(s['traceId'] as Uint8Array),
              spanId: hex(s['spanId'] as Uint8Array),
              parentSpanId: hex(s['parentSpanId'] as Uint8Array | undefined),
              name: String(s['name']),
              kind: Number(s['kind'] ?? 0),
              attributes: attributes(s['attributes'] as { key: string; value: AnyValue }[]),
              status: { code: status.code ?? 0, message: status.message ?? '' },
              links: ((s['links'] ?? []) as { traceId: Uint8Array; spanId: Uint8Array }[]).map((l) => ({
                traceId: hex(l.traceId),
                spanId: hex(l.spanId),
              })),
              resource,
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/x-protobuf' });
      response.end(Buffer.from(Response.encode(Response.create({})).finish()));
      return;
    }
    if (request.method === 'POST' && route === '/api/v1/lineage') {
      receivers.lineage.push(JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
      response.writeHead(201).end();
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (receivers as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receivers;
}
