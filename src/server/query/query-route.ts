/**
 * `POST /api/v1/query` (viewer role): one SELECT over an environment's views, through the
 * operator's `EnvironmentReader` (the warehouse's read sandbox, on the warehouse the operator
 * releases on). JSON by default (`columns` with names and engine types, `rows` as objects,
 * `truncated` when the row cap cut the result); an Apache Arrow IPC stream when the client asks
 * with `Accept: application/vnd.apache.arrow.stream`. The read is interrupted when the client goes
 * away (the request's signal) or its statement timeout passes (504).
 */
import { z } from 'zod';
import { ReadTimeoutError } from '../../core/errors.js';
import type { EnvironmentReader } from '../../operator/environment-reads.js';
import type { ReadResult } from '../../warehouse/warehouse.js';
import { readLimitedBody } from '../read-limited-body.js';
import { parseJson, type RouteDefinition } from '../route-definition.js';
import { ARROW_STREAM_TYPE, arrowStream } from './arrow-result.js';

const MAX_QUERY_BODY_BYTES = 256 * 1024;

export const QueryBody = z.object({
  env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .describe('environment to read'),
  sql: z.string().min(1).max(100_000).describe('one SELECT; unqualified names are the environment’s views'),
  params: z
    .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .max(1000)
    .optional()
    .describe('values bound to $1, $2, …'),
  limit: z.number().int().min(0).optional().describe('rows at most (capped by the operator)'),
  timeoutMs: z.number().int().min(1).optional().describe('statement timeout (capped by the operator)'),
});

const QueryResponse = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  truncated: z.boolean(),
});

export function queryRoute(reader: EnvironmentReader): RouteDefinition {
  return {
    method: 'post',
    path: '/api/v1/query',
    operationId: 'query',
    summary: 'Run one read-only SELECT over an environment (JSON, or Arrow IPC by Accept)',
    tag: 'query',
    access: 'viewer',
    body: QueryBody,
    responses: {
      200: {
        description: `the rows (JSON), or an Arrow IPC stream (${ARROW_STREAM_TYPE})`,
        schema: QueryResponse,
      },
      400: { description: 'not a permitted read (a write, DDL, a file read…) or bad SQL' },
      404: { description: 'unknown environment' },
      409: { description: 'this operator is a standby' },
      504: { description: 'the statement timeout passed' },
    },
    handle: async function handleQuery(c) {
      const raw = await readLimitedBody(c.req.raw, MAX_QUERY_BODY_BYTES);
      const body = QueryBody.parse(raw.length === 0 ? {} : parseJson(raw));
      let result: ReadResult;
      try {
        result = await reader.read({
          environment: body.env,
          sql: body.sql,
          ...(body.params ? { params: body.params } : {}),
          ...(body.limit === undefined ? {} : { maxRows: body.limit }),
          ...(body.timeoutMs === undefined ? {} : { timeoutMs: body.timeoutMs }),
          signal: c.req.raw.signal,
        });
      } catch (error) {
        if (error instanceof ReadTimeoutError) {
          return c.json(
            { error: 'timeout', message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
            504,
          );
        }
        throw error;
      }
      if ((c.req.header('accept') ?? '').includes(ARROW_STREAM_TYPE)) {
        return c.body(arrowStream(result) as Uint8Array<ArrayBuffer>, 200, {
          'content-type': ARROW_STREAM_TYPE,
          'x-slipway-truncated': String(result.truncated),
        });
      }
      return c.json({
        columns: result.columns.map((column) => ({ name: column.name, type: column.type })),
        rows: JSON.parse(JSON.stringify(result.rows, bigintAsNumber)) as unknown[],
        truncated: result.truncated,
      });
    },
  };
}

/** bigint is not JSON: exact numbers stay numbers, larger ones become strings. */
function bigintAsNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}
