/**
 * Silences through the API, in-process (`app.request()`) on a real SQLite alert store: viewers
 * list, deployers create and delete (viewers may not), bad matchers and times are refused, the
 * creator is the token's name; the evaluator on the same store honours a silence made through
 * the API and notifies again once it is deleted; `/api/v1/alerts` shows which silence covers an
 * alert.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../src/alerting/alert-evaluator.js';
import type { Role } from '../../src/operator/operator-backend.js';
import type { AlertsFile } from '../../src/project/alerts-schema.js';
import { ApiTokens } from '../../src/server/api-tokens.js';
import { createServerApp } from '../../src/server/create-server-app.js';
import { SqliteAlertStore } from '../../src/state/sqlite/sqlite-alert-store.js';
import { FakeOperatorBackend } from './fake-operator-backend.js';

const TOKENS: Readonly<Record<Role, string>> = {
  viewer: 'viewer-token-0123456789abcdef',
  deployer: 'deployer-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
};

const config: AlertsFile = {
  channels: { slack: { type: 'slack', webhook_url_env: 'SLACK_URL' } },
  rules: [{ name: 'run-failed', kind: 'run_failed', severity: 'warning', owner: 'analytics' }],
};

let dir: string;
let store: SqliteAlertStore;
let t = Date.parse('2026-12-01T10:00:00.000Z');
const now = () => new Date(t);

function call(method: string, route: string, role?: Role, body?: unknown): Promise<Response> {
  const app = createServerApp({
    backend: new FakeOperatorBackend(),
    sync: { notify: () => {} },
    branch: 'main',
    tokens: ApiTokens.fromList(
      (Object.keys(TOKENS) as Role[]).map((r) => ({ name: `${r}-bot`, role: r, token: TOKENS[r] })),
    ),
    alerting: { store, now },
  });
  return Promise.resolve(
    app.request(route, {
      method,
      headers: {
        ...(role ? { authorization: `Bearer ${TOKENS[role]}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-silences-'));
  store = new SqliteAlertStore(path.join(dir, 'operator.db'));
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('/api/v1/silences', () => {
  const staging = {
    matchers: { rule: 'run-failed', environment: 'staging' },
    endsAt: '2026-12-01T12:00:00.000Z',
    comment: 'backfill in progress',
  };

  it('needs a deployer to create or delete, a viewer to list', async () => {
    expect((await call('GET', '/api/v1/silences')).status).toBe(401);
    expect((await call('POST', '/api/v1/silences', 'viewer', staging)).status).toBe(403);
    expect((await call('DELETE', '/api/v1/silences/whatever', 'viewer')).status).toBe(403);
    const doc = (await (await call('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, { 'x-slipway-access': string }>>;
    };
    expect(doc.paths['/api/v1/silences/{id}']?.['delete']?.['x-slipway-access']).toBe('deployer');
    expect(doc.paths['/api/v1/silences']?.['post']?.['x-slipway-access']).toBe('deployer');
    expect(doc.paths['/api/v1/alerts']?.['get']?.['x-slipway-access']).toBe('viewer');
    const list = await call('GET', '/api/v1/silences', 'viewer');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ silences: [] });
  });

  it('refuses empty or unknown matchers and an end before the start', async () => {
    for (const body of [
      { ...staging, matchers: {} },
      { ...staging, matchers: { team: 'x' } },
      { ...staging, endsAt: '2026-12-01T09:00:00.000Z' },
      { ...staging, startsAt: '2026-12-01T13:00:00.000Z' },
      { matchers: staging.matchers, endsAt: staging.endsAt },
      { ...staging, endsAt: 'tomorrow' },
    ]) {
      const response = await call('POST', '/api/v1/silences', 'deployer', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(await store.silences()).toEqual([]);
  });

  it('a silence made through the API holds back notifications until it is deleted', async () => {
    const evaluator = new AlertEvaluator({ config, store, now });
    const created = await call('POST', '/api/v1/silences', 'deployer', staging);
    expect(created.status).toBe(200);
    const silence = (await created.json()) as { id: string; createdBy: string; state: string };
    expect(silence).toMatchObject({ createdBy: 'deployer-bot', state: 'active', comment: staging.comment });
    const listed = (await (await call('GET', '/api/v1/silences', 'viewer')).json()) as {
      silences: unknown[];
    };
    expect(listed.silences).toEqual([silence]);

    const at = now().toISOString();
    const runFailed = (environment: string) => ({
      kind: 'run_failed' as const,
      firing: true,
      labels: { environment },
      summary: `run of ${environment} failed`,
      at,
    });
    evaluator.observe(runFailed('staging'));
    evaluator.observe(runFailed('prod'));
    const first = await evaluator.flush();
    // prod is told; staging is silenced.
    expect(first.map((d) => d.notification.groupLabels['environment'])).toEqual(['prod']);
    const alerts = (await (await call('GET', '/api/v1/alerts', 'viewer')).json()) as {
      alerts: { labels: Record<string, string>; silencedBy: string | null; status: string }[];
    };
    expect(alerts.alerts.map((a) => [a.labels['environment'], a.status, a.silencedBy]).sort()).toEqual([
      ['prod', 'firing', null],
      ['staging', 'firing', silence.id],
    ]);

    t += 60_000;
    expect(await evaluator.flush()).toEqual([]);
    const deleted = await call('DELETE', `/api/v1/silences/${silence.id}`, 'deployer');
    expect(await deleted.json()).toEqual({ deleted: silence.id });
    expect((await call('DELETE', `/api/v1/silences/${silence.id}`, 'deployer')).status).toBe(404);
    const after = await evaluator.flush();
    expect(after.map((d) => [d.notification.groupLabels['environment'], d.notification.status])).toEqual([
      ['staging', 'firing'],
    ]);
  });

  it('an expired silence is listed as expired and no longer holds anything back', async () => {
    const created = await call('POST', '/api/v1/silences', 'deployer', {
      matchers: { environment: 'dev' },
      endsAt: new Date(t + 1000).toISOString(),
      comment: 'short',
    });
    const { id } = (await created.json()) as { id: string };
    t += 2000;
    const listed = (await (await call('GET', '/api/v1/silences', 'viewer')).json()) as {
      silences: { id: string; state: string }[];
    };
    expect(listed.silences.find((s) => s.id === id)?.state).toBe('expired');
  });
});
