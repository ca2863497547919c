/**
 * A route is data: method, path, who may call it, the schemas of its inputs and outputs, and its
 * handler. The app registers routes from this data and `/openapi.json` is generated from the
 * same data, so the description cannot drift from what is served.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { InvalidArgumentError } from '../core/errors.js';
import type { Actor, OperatorBackend, Role } from '../operator/operator-backend.js';
import { readLimitedBody } from './read-limited-body.js';

/** `public`: no credentials; `webhook`: an HMAC signature; a role: a bearer token with it. */
export type Access = 'public' | 'webhook' | Role;

export interface ServerEnv {
  Variables: { actor: Actor | undefined };
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
}

export interface HeaderSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

export interface RouteDefinition {
  readonly method: 'get' | 'post' | 'delete';
  /** OpenAPI form: `/api/v1/environments/{name}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly headers?: readonly HeaderSpec[];
  readonly body?: z.ZodType;
  /** Raw bodies (webhooks) are described by media type only. */
  readonly rawBody?: boolean;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handle: (c: Context<ServerEnv>) => Promise<Response>;
}

/** The path as Hono writes it: `{name}` becomes `:name`. */
export function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

export interface JsonInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly actor: Actor;
  readonly backend: OperatorBackend;
}

const EMPTY = z.object({});
const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * Defines a JSON API route: inputs validated by their schemas (400 on failure), the output
 * validated by `response` (so a backend that drifts from the contract fails loudly).
 */
export function jsonRoute<
  P extends z.ZodObject = typeof EMPTY,
  Q extends z.ZodObject = typeof EMPTY,
  B extends z.ZodType = typeof EMPTY,
  R extends z.ZodType = z.ZodType,
>(spec: {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Role;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly response: R;
  readonly status?: 200 | 202;
  readonly errors?: Readonly<Record<number, string>>;
  readonly backend: OperatorBackend;
  readonly run: (input: JsonInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<z.input<R>>;
}): RouteDefinition {
  const status = spec.status ?? 200;
  const paramsSchema = spec.params ?? EMPTY;
  const querySchema = spec.query ?? EMPTY;
  const bodySchema = spec.body ?? EMPTY;
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    tag: spec.tag,
    access: spec.access,
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.query ? { query: spec.query } : {}),
    ...(spec.body ? { body: spec.body } : {}),
    responses: {
      [status]: { description: 'OK', schema: spec.response },
      ...Object.fromEntries(Object.entries(spec.errors ?? {}).map(([code, d]) => [code, { description: d }])),
    },
    handle: async function handleJsonRoute(c) {
      const actor = c.get('actor');
      if (!actor) throw new Error('a role-protected route ran without an actor');
      const params = paramsSchema.parse(c.req.param()) as z.output<P>;
      const query = querySchema.parse(c.req.query()) as z.output<Q>;
      let body: unknown = {};
      if (spec.method === 'post') {
        const raw = await readLimitedBody(c.req.raw, MAX_JSON_BODY_BYTES);
        body = raw.length === 0 ? {} : parseJson(raw);
      }
      const result = await spec.run({
        params,
        query,
        body: bodySchema.parse(body) as z.output<B>,
        actor,
        backend: spec.backend,
      });
      return c.json(spec.response.parse(result) as object, status as ContentfulStatusCode);
    },
  };
}

/** Parses JSON, turning a syntax error into an InvalidArgumentError (400). */
export function parseJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch (error) {
    throw new InvalidArgumentError('the request body is not valid JSON', { cause: error });
  }
}
