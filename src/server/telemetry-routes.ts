/**
 * The operator's own telemetry over HTTP: `GET /metrics` (Prometheus text format, public like a
 * health check: it holds no secret and no per-release label) and `GET /api/v1/traces`, the
 * recent traces kept in memory (viewer token), newest first or one by `traceId`.
 */
import { z } from 'zod';
import type { RouteDefinition } from './route-definition.js';

export interface TelemetryEndpoints {
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  traces(query: { readonly limit?: number; readonly traceId?: string }): readonly unknown[];
}

const TracesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'a W3C trace id: 32 lower-case hex digits')
    .optional(),
});

export function telemetryRoutes(endpoints: TelemetryEndpoints): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tag: 'telemetry',
      access: 'public',
      responses: { 200: { description: 'the metrics' } },
      handle: async function serveMetrics(c) {
        const { contentType, body } = await endpoints.metrics();
        return c.body(body, 200, { 'content-type': contentType });
      },
    },
    {
      method: 'get',
      path: '/api/v1/traces',
      operationId: 'listTraces',
      summary: 'Recent traces (releases, runs, syncs, webhooks) with their spans',
      tag: 'telemetry',
      access: 'viewer',
      query: TracesQuery,
      responses: {
        200: { description: 'newest first', schema: z.object({ traces: z.array(z.unknown()) }) },
      },
      handle: async function serveTraces(c) {
        const query = TracesQuery.parse(c.req.query());
        return c.json({
          traces: endpoints.traces({
            ...(query.limit === undefined ? {} : { limit: query.limit }),
            ...(query.traceId === undefined ? {} : { traceId: query.traceId }),
          }),
        });
      },
    },
  ];
}
