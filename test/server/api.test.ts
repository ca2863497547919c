/**
 * The operator HTTP API in-process (`app.request()`), against an IN-MEMORY FAKE backend
 * (test/server/fake-operator-backend.ts): every route × every role, validation, errors, the
 * OpenAPI description covering every registered route, and no secret in the logs.
 */
import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/operator/operator-backend.js';
import { ApiTokens } from '../../src/server/api-tokens.js';
import { createServerApp } from '../../src/server/create-server-app.js';
import { honoPath } from '../../src/server/route-definition.js';
import { capturedLogger } from '../helpers/captured-logger.js';
import { FakeOperatorBackend } from './fake-operator-backend.js';

const TOKENS: Readonly<Record<Role, string>> = {
  viewer: 'viewer-token-0123456789abcdef',
  deployer: 'deployer-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
};

function setup() {
  const backend = new FakeOperatorBackend();
  const { logger, logged } = capturedLogger();
  const tokens = ApiTokens.fromList(
    (Object.keys(TOKENS) as Role[]).map((role) => ({ name: `${role}-bot`, role, token: TOKENS[role] })),
  );
  const notifications: string[] = [];
  const app = createServerApp({
    backend,
    sync: { notify: (trigger = 'webhook') => notifications.push(trigger) },
    branch: 'main',
    tokens,
    logger,
    health: () => ({ leader: true }),
  });
  const call = (method: string, path: string, role?: Role, body?: unknown) =>
    app.request(path, {
      method,
      headers: {
        ...(role ? { authorization: `Bearer ${TOKENS[role]}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return { app, backend, call, logs: logged };
}

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly access: string;
}

async function operations(app: ReturnType<typeof setup>['app']): Promise<Operation[]> {
  const doc = (await (await app.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { 'x-slipway-access': string }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, access: op['x-slipway-access'] })),
  );
}

const RANK: Readonly<Record<string, number>> = { viewer: 0, deployer: 1, admin: 2 };

describe('operator API', () => {
  it('answers every role-protected route according to the caller’s role', async () => {
    const { app, call } = setup();
    const protectedOps = (await operations(app)).filter((op) => op.access in RANK);
    expect(protectedOps.length).toBe(14);
    for (const op of protectedOps) {
      const path = op.path.replace('{name}', 'staging').replace('{id}', 'rel-1');
      const body = op.method === 'post' ? {} : undefined;
      const anonymous = await call(op.method.toUpperCase(), path, undefined, body);
      expect(anonymous.status, `${op.method} ${op.path} without a token`).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
      for (const role of ['viewer', 'deployer', 'admin'] as const) {
        const response = await call(op.method.toUpperCase(), path, role, body);
        const allowed = RANK[role]! >= RANK[op.access]!;
        expect(response.status, `${op.method} ${op.path} as ${role}`).toBe(
          allowed ? (path.endsWith('sync') ? 202 : 200) : 403,
        );
      }
    }
  });

  it('refuses a rollback by a viewer (403) and records one by a deployer with the actor', async () => {
    const { backend, call } = setup();
    const denied = await call('POST', '/api/v1/environments/prod/rollback', 'viewer', {
      reason: 'bad numbers',
    });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: 'forbidden' });
    expect(backend.actions).toEqual([]);
    const done = await call('POST', '/api/v1/environments/prod/rollback', 'deployer', { to: 'rel-prod-0' });
    expect(done.status).toBe(200);
    expect(backend.actions).toEqual([
      {
        action: 'rollback',
        environment: 'prod',
        actor: { name: 'deployer-bot', role: 'deployer' },
        details: { to: 'rel-prod-0' },
      },
    ]);
  });

  it('lets a deployer sync (202) and an admin pause, but not a deployer pause', async () => {
    const { backend, call } = setup();
    expect((await call('POST', '/api/v1/sync', 'deployer', {})).status).toBe(202);
    expect((await call('POST', '/api/v1/environments/staging/pause', 'deployer', {})).status).toBe(403);
    const paused = await call('POST', '/api/v1/environments/staging/pause', 'admin', {
      reason: 'warehouse upgrade',
    });
    expect(paused.status).toBe(200);
    expect(backend.environments.get('staging')?.paused).toMatchObject({
      reason: 'warehouse upgrade',
      by: 'admin-bot',
    });
    expect((await call('POST', '/api/v1/environments/staging/pause', 'admin', {})).status).toBe(409);
    expect(backend.actions.map((a) => a.action)).toEqual(['sync', 'pause']);
  });

  it('401 for an unknown token, 404 for an unknown environment, 400 for bad input', async () => {
    const { app, call } = setup();
    const unknown = await app.request('/api/v1/environments', {
      headers: { authorization: 'Bearer nope-nope-nope' },
    });
    expect(unknown.status).toBe(401);
    expect((await call('GET', '/api/v1/environments/nowhere', 'viewer')).status).toBe(404);
    expect((await call('GET', '/api/v1/releases?limit=0', 'viewer')).status).toBe(400);
    expect((await call('GET', '/api/v1/environments/bad-name!', 'viewer')).status).toBe(400);
    expect((await call('POST', '/api/v1/environments/prod/approve', 'deployer', '{not json')).status).toBe(
      400,
    );
    expect((await call('GET', '/api/v1/nothing-here', 'viewer')).status).toBe(404);
  });

  it('serves data through the contract schemas', async () => {
    const { call } = setup();
    const envs = (await (await call('GET', '/api/v1/environments', 'viewer')).json()) as {
      environments: { name: string; live: { commit: { pullRequest: number } } }[];
    };
    expect(envs.environments.map((e) => e.name)).toEqual(['staging', 'prod']);
    expect(envs.environments[0]?.live.commit.pullRequest).toBe(12);
    const events = (await (await call('GET', '/api/v1/events?after=1', 'viewer')).json()) as {
      events: unknown[];
    };
    expect(events.events).toHaveLength(1);
    expect(await (await call('GET', '/api/v1/whoami', 'admin')).json()).toEqual({
      name: 'admin-bot',
      role: 'admin',
    });
  });

  it('serves /healthz without a token', async () => {
    const { app } = setup();
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', leader: true });
  });

  it('describes every registered route in /openapi.json (OpenAPI 3.1)', async () => {
    const { app } = setup();
    const doc = (await (await app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const described = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${honoPath(path)}`),
      ),
    );
    const registered = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
    expect(new Set(registered).size).toBe(18);
    for (const route of registered) expect(described, route).toContain(route);
    expect(described.size).toBe(new Set(registered).size);
  });

  it('never writes a token to the log', async () => {
    const { call, logs } = setup();
    for (const role of ['viewer', 'deployer', 'admin'] as const) {
      await call('GET', '/api/v1/environments', role);
      await call('POST', '/api/v1/environments/prod/pause', role, {});
    }
    const output = logs();
    expect(output).toContain('http request');
    for (const token of Object.values(TOKENS)) expect(output).not.toContain(token);
  });
});
