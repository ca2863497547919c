/**
 * The operator's alert loop on a real SQLite state store (the event log) and alert store, turn by
 * turn (`evaluate()`): events appended before alerting first started are history and not
 * notified, later ones are, and the cursor is kept; the lease lost and git unreachable fire
 * `operator_degraded` and resolve; a new alerts.yaml keeps what was already notified; a loop on
 * a store whose cursor is set reads from there (a restart); a slow run fires `run_duration`; CPU,
 * memory and warehouse-size readings fire their rules (CPU only after its `for`) and resolve.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/alerting/alert-evaluator.js';
import { processResourceReader } from '../../src/app/alert-inputs.js';
import { AlertLoop } from '../../src/operator/alert-loop.js';
import type { AlertsFile } from '../../src/project/alerts-schema.js';
import { SqliteAlertStore } from '../../src/state/sqlite/sqlite-alert-store.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-alert-loop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RULES: AlertsFile = {
  channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret_env: 'HOOK_SECRET' } },
  rules: [
    { name: 'run-failed', kind: 'run_failed', severity: 'warning', owner: 'analytics' },
    { name: 'degraded', kind: 'operator_degraded', severity: 'critical', owner: 'platform' },
  ],
};

function stores(): { state: StateStore; alerts: () => SqliteAlertStore } {
  n += 1;
  const file = path.join(dir, `operator-${n}.db`);
  return {
    state: openSqliteStateStore({ path: path.join(dir, `state-${n}.db`) }),
    alerts: () => new SqliteAlertStore(file),
  };
}

function loop(
  state: StateStore,
  store: SqliteAlertStore,
  config: { current: AlertsFile },
  git: { error?: string } = {},
): { loop: AlertLoop; sent: Delivery[] } {
  const sent: Delivery[] = [];
  return {
    sent,
    loop: new AlertLoop({
      state,
      store,
      config: async () => config.current,
      deliver: (d) => sent.push(...d),
      gitError: () => git.error,
    }),
  };
}

const told = (sent: readonly Delivery[]) =>
  sent.map((d) => `${d.notification.groupLabels['rule']}:${d.notification.status}`);

describe('AlertLoop', () => {
  it('notifies what happens after alerting starts, not the history before, and keeps the cursor', async () => {
    const { state, alerts } = stores();
    const store = alerts();
    try {
      await state.appendEvent({ type: 'run.failed', environment: 'old', data: { error: 'long ago' } });
      await new Promise((r) => setTimeout(r, 5)); // a later millisecond than that event
      const { loop: l, sent } = loop(state, store, { current: RULES });
      await l.evaluate();
      expect(sent).toEqual([]);
      const failed = await state.appendEvent({
        type: 'run.failed',
        environment: 'prod',
        data: { error: 'boom' },
      });
      await l.evaluate();
      expect(told(sent)).toEqual(['run-failed:firing']);
      expect(sent[0]?.notification.alerts[0]?.labels['environment']).toBe('prod');
      expect(await store.cursor()).toBe(failed.seq);
      await state.appendEvent({ type: 'run.succeeded', environment: 'prod' });
      await l.evaluate();
      expect(told(sent)).toEqual(['run-failed:firing', 'run-failed:resolved']);
      expect(l.turns).toBe(3);
    } finally {
      await store.close();
      await state.close();
    }
  });

  it('fires operator_degraded when the lease is lost or git is unreachable, and resolves it', async () => {
    const { state, alerts } = stores();
    const store = alerts();
    const git: { error?: string } = {};
    try {
      const { loop: l, sent } = loop(state, store, { current: RULES }, git);
      l.degraded('lease_lost', true, 'op-1 lost its leader lease');
      git.error = 'fatal: unable to access the remote';
      await l.evaluate();
      const reasons = sent.map((d) => d.notification.alerts.map((a) => a.labels['reason']).sort());
      expect(told(sent)).toEqual(['degraded:firing']);
      expect(reasons).toEqual([['git_unreachable', 'lease_lost']]);
      expect(sent[0]?.notification.alerts.map((a) => a.summary).sort()).toEqual([
        'git fetch failed: fatal: unable to access the remote',
        'op-1 lost its leader lease',
      ]);
      l.degraded('lease_lost', false, 'op-1 leads');
      git.error = undefined;
      await l.evaluate();
      expect(told(sent)).toEqual(['degraded:firing', 'degraded:resolved']);
    } finally {
      await store.close();
      await state.close();
    }
  });

  it('a new alerts.yaml, or a restarted loop, does not re-notify what was told', async () => {
    const { state, alerts } = stores();
    const store = alerts();
    const config = { current: RULES };
    try {
      const first = loop(state, store, config);
      await first.loop.evaluate();
      await state.appendEvent({ type: 'run.failed', environment: 'prod', data: { error: 'boom' } });
      await first.loop.evaluate();
      expect(told(first.sent)).toEqual(['run-failed:firing']);
      config.current = { ...RULES, repeat_interval: '8h' };
      await first.loop.evaluate();
      expect(told(first.sent)).toEqual(['run-failed:firing']);

      const again = alerts();
      try {
        const second = loop(state, again, config);
        await second.loop.evaluate();
        expect(second.sent).toEqual([]);
        await state.appendEvent({ type: 'run.succeeded', environment: 'prod' });
        await second.loop.evaluate();
        expect(told(second.sent)).toEqual(['run-failed:resolved']);
      } finally {
        await again.close();
      }
    } finally {
      await store.close();
      await state.close();
    }
  });

  it('a run slower than factor x the p95 of the earlier runs fires run_duration; a normal one resolves it', async () => {
    let t = Date.parse('2026-12-01T10:00:00.000Z');
    n += 1;
    const state = openSqliteStateStore({ path: path.join(dir, `state-${n}.db`), now: () => new Date(t) });
    const store = new SqliteAlertStore(path.join(dir, `operator-${n}.db`));
    const config = {
      current: {
        channels: RULES.channels,
        rules: [
          {
            name: 'slow',
            kind: 'run_duration',
            severity: 'info',
            owner: 'analytics',
            factor: 1.5,
            window: 5,
          },
        ],
      } satisfies AlertsFile,
    };
    try {
      const sent: Delivery[] = [];
      const l = new AlertLoop({
        state,
        store,
        config: async () => config.current,
        deliver: (d) => sent.push(...d),
        now: () => new Date(t),
      });
      await l.evaluate();
      const run = async (i: number, seconds: number) => {
        await state.createRun({ id: `run-${i}`, environment: 'prod', releaseId: 'r-1', actor: 'scheduler' });
        t += seconds * 1000;
        await state.finishRun(`run-${i}`, { status: 'succeeded', models: [] });
        t += 1000;
        await l.evaluate();
      };
      for (let i = 1; i <= 3; i++) await run(i, 10);
      expect(sent).toEqual([]);
      await run(4, 16); // 16 s > 1.5 × 10 s
      expect(told(sent)).toEqual(['slow:firing']);
      expect(sent[0]?.notification.alerts[0]?.summary).toMatch(
        /run run-4 of prod took 16\.0 s; p95 of the last 3 runs is 10\.0 s/,
      );
      await run(5, 12); // within 1.5 × p95 (16 s now among the earlier runs)
      expect(told(sent)).toEqual(['slow:firing', 'slow:resolved']);
    } finally {
      await store.close();
      await state.close();
    }
  });

  it('resource readings fire cpu_spike after its `for`, memory_spike and warehouse_growth at once, and resolve', async () => {
    let t = Date.parse('2026-12-01T10:00:00.000Z');
    const { state, alerts } = stores();
    const store = alerts();
    const reading = { cpuPercent: 95, rssBytes: 100 * 1024 * 1024, warehouseBytes: 1000 };
    try {
      const sent: Delivery[] = [];
      const l = new AlertLoop({
        state,
        store,
        config: async () => ({
          channels: RULES.channels,
          rules: [
            {
              name: 'cpu',
              kind: 'cpu_spike',
              severity: 'warning',
              owner: 'platform',
              threshold: 80,
              for: '2m',
            },
            { name: 'memory', kind: 'memory_spike', severity: 'warning', owner: 'platform', threshold: 512 },
            {
              name: 'growth',
              kind: 'warehouse_growth',
              severity: 'info',
              owner: 'platform',
              percent: 50,
              over: '1h',
            },
          ],
        }),
        deliver: (d) => sent.push(...d),
        readResources: async () => ({ at: new Date(t), ...reading }),
        now: () => new Date(t),
      });
      await l.evaluate();
      t += 60_000;
      await l.evaluate();
      expect(sent).toEqual([]); // CPU high for 1 of its 2 minutes
      t += 60_000;
      await l.evaluate();
      expect(told(sent)).toEqual(['cpu:firing']);
      expect(sent[0]?.notification.alerts[0]?.summary).toBe('operator CPU 95 % of a core (limit 80 %)');
      reading.cpuPercent = 10;
      reading.rssBytes = 600 * 1024 * 1024;
      reading.warehouseBytes = 1600;
      t += 60_000;
      await l.evaluate();
      expect(told(sent).sort()).toEqual(['cpu:firing', 'cpu:resolved', 'growth:firing', 'memory:firing']);
      expect(
        sent.find((d) => d.notification.groupLabels['rule'] === 'growth')?.notification.alerts[0]?.summary,
      ).toBe('warehouse grew 60 % (1000 → 1600 bytes) within 1h (limit 50 %)');
    } finally {
      await store.close();
      await state.close();
    }
  });

  it('the process reader measures this process and the warehouse file', async () => {
    const file = path.join(dir, 'warehouse.duckdb');
    await writeFile(file, Buffer.alloc(4096));
    const read = processResourceReader(() => [file, path.join(dir, 'missing.duckdb')]);
    let spin = 0;
    for (let i = 0; i < 1e6; i++) spin += Math.sqrt(i);
    const r = await read();
    expect(spin).toBeGreaterThan(0);
    expect(r.cpuPercent).toBeGreaterThan(0);
    expect(r.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(r.warehouseBytes).toBe(4096);
    expect((await processResourceReader(() => [])()).warehouseBytes).toBeUndefined();
  });
});
