/**
 * Two operators' alert loops on one PostgreSQL database (state and alert store shared, as a
 * leader and its standby share them): the leader notifies a failed run; after it stops, the
 * loop of the operator that takes over — its own connections, its own process state — does not
 * notify it again, and notifies the resolve once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/alerting/alert-evaluator.js';
import { AlertLoop } from '../../src/operator/alert-loop.js';
import type { AlertsFile } from '../../src/project/alerts-schema.js';
import { openPostgresAlertStore } from '../../src/state/postgres/postgres-alert-store.js';
import { openPostgresStateStore } from '../../src/state/postgres/postgres-state-store.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';

const RULES: AlertsFile = {
  channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret_env: 'HOOK_SECRET' } },
  rules: [{ name: 'run-failed', kind: 'run_failed', severity: 'warning', owner: 'analytics' }],
};

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('slipway_alert_loop');
});
afterAll(async () => {
  await db?.drop();
});

async function operator(url: string) {
  const state = await openPostgresStateStore({ url });
  const store = await openPostgresAlertStore({ url });
  const sent: Delivery[] = [];
  const loop = new AlertLoop({ state, store, config: async () => RULES, deliver: (d) => sent.push(...d) });
  return {
    state,
    loop,
    told: () => sent.map((d) => `${d.notification.groupLabels['environment']}:${d.notification.status}`),
    close: async () => {
      await loop.stop();
      await store.close();
      await state.close();
    },
  };
}

describe('alert loops sharing PostgreSQL', () => {
  it('the next leader neither re-fires what the last one told nor misses the resolve', async () => {
    const leader = await operator(db.url);
    try {
      await leader.loop.evaluate();
      await leader.state.appendEvent({ type: 'run.failed', environment: 'prod', data: { error: 'boom' } });
      await leader.loop.evaluate();
      expect(leader.told()).toEqual(['prod:firing']);
    } finally {
      await leader.close();
    }
    const next = await operator(db.url);
    try {
      await next.loop.evaluate();
      expect(next.told()).toEqual([]);
      await next.state.appendEvent({ type: 'run.succeeded', environment: 'prod' });
      await next.loop.evaluate();
      await next.loop.evaluate();
      expect(next.told()).toEqual(['prod:resolved']);
    } finally {
      await next.close();
    }
  }, 60_000);
});
