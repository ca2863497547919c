/**
 * The alerting wiring (`openAlerting`) on a real SQLite state and alert store, a loopback webhook
 * receiver and a prom-client registry: a failed run's notification reaches the signed webhook
 * with the secrets its error text quoted (a URL's password, a secret variable's value) redacted;
 * a channel whose secret variable is unset is logged by the variable's name, and its
 * notification is dropped and counted on the registry as `unconfigured`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openAlerting } from '../../src/app/open-alerting.js';
import type { AlertsFile } from '../../src/project/alerts-schema.js';
import { SqliteAlertStore } from '../../src/state/sqlite/sqlite-alert-store.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { capturedLogger } from '../helpers/captured-logger.js';
import { type HttpReceiver, startHttpReceiver } from '../helpers/http-receiver.js';

const HOOK_SECRET = 'hook-secret-value-7f3a9c';
let dir: string;
let hook: HttpReceiver;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-open-alerting-'));
  hook = await startHttpReceiver(() => ({ status: 200, body: '{}' }));
});
afterAll(async () => {
  await hook?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('delivers with secrets redacted, and counts a channel without its secret as unconfigured', async () => {
  const config: AlertsFile = {
    channels: {
      hooks: { type: 'webhook', url: `${hook.url}/slipway`, secret_env: 'HOOK_SECRET' },
      slack: { type: 'slack', webhook_url_env: 'SLACK_WEBHOOK_URL' },
    },
    rules: [{ name: 'run-failed', kind: 'run_failed', severity: 'warning', owner: 'analytics' }],
  };
  const state = openSqliteStateStore({ path: path.join(dir, 'state.db') });
  const store = new SqliteAlertStore(path.join(dir, 'operator.db'));
  const registry = new Registry();
  const { logger, logged } = capturedLogger();
  const alerting = openAlerting({
    state,
    store,
    config: async () => config,
    env: { HOOK_SECRET },
    registry,
    logger,
  });
  try {
    await alerting.loop.evaluate();
    await state.appendEvent({
      type: 'run.failed',
      environment: 'prod',
      data: { error: `connect postgres://app:hunter2-pass@db:5432/x refused; key ${HOOK_SECRET}` },
    });
    await alerting.loop.evaluate();
    await alerting.dispatcher.idle();
    expect(hook.requests).toHaveLength(1);
    const body = hook.requests[0]?.body ?? '';
    expect(body).toContain('postgres://app:[redacted]@db:5432/x refused');
    expect(body).not.toContain('hunter2-pass');
    expect(body).not.toContain(HOOK_SECRET);
    const metric = await registry.getSingleMetricAsString('slipway_alert_notifications_dropped_total');
    expect(metric).toContain(
      'slipway_alert_notifications_dropped_total{channel="slack",reason="unconfigured"} 1',
    );
    expect(logged()).toContain('SLACK_WEBHOOK_URL is not set');
  } finally {
    await alerting.close();
    await store.close();
    await state.close();
  }
});
