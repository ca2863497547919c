/**
 * The operator's HTTP app (Hono): health, the OpenAPI description, the JSON API, and the git
 * webhooks. Everything it acts on is injected: the `OperatorBackend` (releases, state), the
 * `SyncRequester` a valid push notifies (the git watcher or the operator), and the API tokens.
 * Tested in-process with `app.request()`; served by `startHttpServer`.
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { SlipwayError } from '../core/errors.js';
import type { SyncRequester } from '../operator/operator.js';
import type { OperatorBackend, Role } from '../operator/operator-backend.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';
import { apiRoutes } from './api-routes.js';
import { type ApiTokens, roleAllows } from './api-tokens.js';
import { buildOpenApiDocument } from './openapi.js';
import { honoPath, type RouteDefinition, type ServerEnv } from './route-definition.js';
import { type TelemetryEndpoints, telemetryRoutes } from './telemetry-routes.js';
import { ReplayGuard } from './webhooks/replay-guard.js';
import { webhookRoutes } from './webhooks/webhook-routes.js';

export interface ServerAppOptions {
  readonly backend: OperatorBackend;
  /** Notified on a signed push to the watched branch. */
  readonly sync: SyncRequester;
  /** The watched branch; pushes to other branches are acknowledged and ignored. */
  readonly branch: string;
  readonly tokens: ApiTokens;
  /** Missing provider: its webhook route answers 404. See `webhookSecretsFromEnv`. */
  readonly webhookSecrets?: { readonly github?: string; readonly bitbucket?: string };
  /** Default 5 MiB (a GitHub push lists up to 2048 commits). */
  readonly maxWebhookBytes?: number;
  readonly replayGuard?: ReplayGuard;
  /** Extra fields for `/healthz` (leader state, watcher status). */
  readonly health?: () => Record<string, unknown>;
  readonly logger?: Logger;
  readonly version?: string;
  /** `/metrics` and `/api/v1/traces`; webhooks are traced with `telemetry`. */
  readonly telemetryEndpoints?: TelemetryEndpoints;
  readonly telemetry?: Telemetry;
}

/** Reads `SLIPWAY_GITHUB_WEBHOOK_SECRET` and `SLIPWAY_BITBUCKET_WEBHOOK_SECRET`. */
export function webhookSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  github?: string;
  bitbucket?: string;
} {
  const github = env['SLIPWAY_GITHUB_WEBHOOK_SECRET'];
  const bitbucket = env['SLIPWAY_BITBUCKET_WEBHOOK_SECRET'];
  return { ...(github ? { github } : {}), ...(bitbucket ? { bitbucket } : {}) };
}

export function createServerApp({
  backend,
  sync,
  branch,
  tokens,
  webhookSecrets = {},
  maxWebhookBytes = 5 * 1024 * 1024,
  replayGuard = new ReplayGuard(),
  health = () => ({}),
  logger,
  version = '0.1.0',
  telemetryEndpoints,
  telemetry,
}: ServerAppOptions): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const routes: RouteDefinition[] = [];
  let openapi: Record<string, unknown> = {};

  routes.push(
    {
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'Liveness, with the operator state',
      tag: 'health',
      access: 'public',
      responses: { 200: { description: 'alive', schema: HealthSchema } },
      handle: async (c) => c.json({ status: 'ok' as const, version, ...health() }),
    },
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This description (OpenAPI 3.1)',
      tag: 'health',
      access: 'public',
      responses: { 200: { description: 'the OpenAPI document', schema: z.object({ openapi: z.string() }) } },
      handle: async (c) => c.json(openapi),
    },
    ...webhookRoutes({
      secrets: webhookSecrets,
      branch,
      sync,
      replayGuard,
      maxBodyBytes: maxWebhookBytes,
      ...(logger ? { logger } : {}),
    }),
    ...apiRoutes(backend),
    ...(telemetryEndpoints ? telemetryRoutes(telemetryEndpoints) : []),
  );
  openapi = buildOpenApiDocument(routes, { title: 'Slipway operator API', version });

  app.use('*', async function logRequest(c, next) {
    const started = performance.now();
    await next();
    // Method, path and status only: no headers, no query, no body (tokens and signatures).
    logger?.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        actor: c.get('actor')?.name,
      },
      'http request',
    );
  });
  if (telemetry) {
    // Each webhook delivery is the root of its own trace (the sync it asks for is another).
    app.use('/hooks/*', async function traceWebhook(c, next) {
      const provider = c.req.path.split('/')[2] ?? 'unknown';
      await telemetry.rootSpan(
        `webhook ${provider}`,
        { 'slipway.span': 'webhook', 'slipway.provider': provider, 'http.request.method': c.req.method },
        async (span) => {
          await next();
          span.setAttribute('http.response.status_code', c.res.status);
          if (c.res.status >= 500) span.setStatus({ code: 2 });
        },
      );
    });
  }
  for (const route of routes) {
    const path = honoPath(route.path);
    const guard = requireAccess(route.access, tokens);
    const handle = route.handle;
    if (route.method === 'get') app.get(path, guard, (c) => handle(c));
    else app.post(path, guard, (c) => handle(c));
  }
  app.notFound((c) => c.json({ error: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError(function renderError(error, c) {
    const { status, body } = errorResponse(error);
    if (status >= 500) logger?.error({ err: error, path: c.req.path }, 'request failed');
    return c.json(body, status);
  });
  return app;
}

const HealthSchema = z.object({ status: z.literal('ok'), version: z.string() }).catchall(z.unknown());

function requireAccess(access: RouteDefinition['access'], tokens: ApiTokens) {
  return async function authorize(c: Parameters<RouteDefinition['handle']>[0], next: () => Promise<void>) {
    c.set('actor', undefined);
    if (access === 'public' || access === 'webhook') return next();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    const actor = match?.[1] ? tokens.authenticate(match[1]) : undefined;
    if (!actor) {
      c.header('WWW-Authenticate', 'Bearer realm="slipway"');
      return c.json(
        { error: 'unauthorized', message: match ? 'unknown token' : 'missing bearer token' },
        401,
      );
    }
    if (!roleAllows(actor.role, access as Role)) {
      return c.json(
        { error: 'forbidden', message: `requires role ${access}; the token has ${actor.role}` },
        403,
      );
    }
    c.set('actor', actor);
    return next();
  };
}

function errorResponse(error: unknown): {
  status: ContentfulStatusCode;
  body: { error: string; message: string; hint?: string; issues?: unknown };
} {
  if (error instanceof HTTPException) {
    const code = error.status === 413 ? 'payload_too_large' : 'http_error';
    return { status: error.status as ContentfulStatusCode, body: { error: code, message: error.message } };
  }
  if (error instanceof z.ZodError) {
    const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return { status: 400, body: { error: 'invalid_argument', message: 'invalid request', issues } };
  }
  if (error instanceof SlipwayError) {
    const status: ContentfulStatusCode =
      error.code === 'not_found'
        ? 404
        : error.code === 'invalid_argument' || error.code === 'invalid_project'
          ? 400
          : error.code === 'conflict'
            ? 409
            : 500;
    if (status < 500) {
      return {
        status,
        body: { error: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) },
      };
    }
  }
  return { status: 500, body: { error: 'internal', message: 'internal error; see the operator log' } };
}
