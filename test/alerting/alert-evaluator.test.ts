/**
 * Evaluation on a real SQLite alert store: de-duplication, grouping, group wait, repeat interval,
 * resolve notifications, silences, and a restart (a new evaluator on the same file) that neither
 * resends a resolve nor re-fires what it already notified.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../src/alerting/alert-evaluator.js';
import type { AlertSignal } from '../../src/alerting/alert-signal.js';
import { runDurationSignal } from '../../src/alerting/run-duration-signal.js';
import { signalsFromEvent } from '../../src/alerting/signals-from-events.js';
import type { AlertsFile } from '../../src/project/alerts-schema.js';
import { SqliteAlertStore } from '../../src/state/sqlite/sqlite-alert-store.js';
import type { EventRecord, RunRecord } from '../../src/state/state-store.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-alerts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config: AlertsFile = {
  group_by: ['rule', 'environment'],
  group_wait: '10s',
  repeat_interval: '1h',
  channels: {
    slack: { type: 'slack', webhook_url_env: 'SLACK_URL' },
    pager: { type: 'pagerduty', routing_key_env: 'PD_KEY' },
  },
  rules: [
    {
      name: 'prod-release-failed',
      kind: 'release_failed',
      severity: 'critical',
      owner: 'platform',
      environments: ['prod'],
      channels: ['slack', 'pager'],
    },
    { name: 'run-failed', kind: 'run_failed', severity: 'warning', owner: 'analytics', channels: ['slack'] },
  ],
};

function clock(start = '2026-12-01T10:00:00.000Z'): { now: () => Date; advance: (ms: number) => string } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
      return new Date(t).toISOString();
    },
  };
}

function event(type: string, environment: string, at: string, extra: Partial<EventRecord> = {}): EventRecord {
  return {
    seq: 1,
    at,
    type,
    environment,
    releaseId: 'r-1',
    runId: 'run-1',
    actor: 'operator',
    data: { error: 'boom' },
    ...extra,
  };
}

function open(now: () => Date): { evaluator: AlertEvaluator; store: SqliteAlertStore; file: string } {
  n += 1;
  const file = path.join(dir, `alerts-${n}.db`);
  const store = new SqliteAlertStore(file);
  return { evaluator: new AlertEvaluator({ config, store, now }), store, file };
}

const feed = (e: AlertEvaluator, signals: AlertSignal[]): void => {
  for (const s of signals) e.observe(s);
};

describe('AlertEvaluator', () => {
  it('waits group_wait, de-duplicates, repeats after repeat_interval, resolves once, and survives a restart', async () => {
    const c = clock();
    const { evaluator, store, file } = open(c.now);
    feed(evaluator, signalsFromEvent(event('release.failed', 'prod', c.now().toISOString())));
    feed(evaluator, signalsFromEvent(event('release.failed', 'staging', c.now().toISOString())));
    expect(await evaluator.flush()).toEqual([]); // group_wait not over
    c.advance(10_000);
    feed(evaluator, signalsFromEvent(event('release.failed', 'prod', c.now().toISOString()))); // duplicate
    const first = await evaluator.flush();
    expect(first.map((d) => d.channel).sort()).toEqual(['pager', 'slack']);
    expect(first[0]?.notification).toMatchObject({
      status: 'firing',
      groupKey: 'rule=prod-release-failed,environment=prod',
    });
    expect(first[0]?.notification.alerts).toHaveLength(1); // staging is not a prod rule's; duplicate kept once
    c.advance(30 * 60_000);
    expect(await evaluator.flush()).toEqual([]);
    c.advance(30 * 60_000);
    const repeat = await evaluator.flush();
    expect(repeat.map((d) => d.notification.repeat)).toEqual([true, true]);

    const at = c.advance(1000);
    feed(evaluator, signalsFromEvent(event('release.succeeded', 'prod', at)));
    const resolved = await evaluator.flush();
    expect(resolved.map((d) => d.notification.status)).toEqual(['resolved', 'resolved']);
    expect(await evaluator.flush()).toEqual([]);
    await store.close();

    // A restart replays the same events: the store says the resolve was told; nothing is resent.
    const reopened = new SqliteAlertStore(file);
    const again = new AlertEvaluator({ config, store: reopened, now: c.now });
    await again.load();
    feed(again, signalsFromEvent(event('release.succeeded', 'prod', at)));
    expect(await again.flush()).toEqual([]);
    expect(again.alerts.map((a) => [a.rule, a.status, a.notifiedStatus])).toEqual([
      ['prod-release-failed', 'resolved', 'resolved'],
    ]);
    await reopened.close();
  });

  it('groups alerts of one rule and environment into one notification', async () => {
    const c = clock();
    const { evaluator, store } = open(c.now);
    const at = c.now().toISOString();
    evaluator.observe({
      kind: 'run_failed',
      firing: true,
      labels: { environment: 'prod', model: 'a' },
      summary: 'a failed',
      at,
    });
    evaluator.observe({
      kind: 'run_failed',
      firing: true,
      labels: { environment: 'prod', model: 'b' },
      summary: 'b failed',
      at,
    });
    evaluator.observe({
      kind: 'run_failed',
      firing: true,
      labels: { environment: 'dev', model: 'a' },
      summary: 'dev a failed',
      at,
    });
    c.advance(10_000);
    const out = await evaluator.flush();
    expect(out.map((d) => [d.notification.groupKey, d.notification.alerts.length]).sort()).toEqual([
      ['rule=run-failed,environment=dev', 1],
      ['rule=run-failed,environment=prod', 2],
    ]);
    await store.close();
  });

  it('does not notify what an active silence covers, and notifies once the silence ends', async () => {
    const c = clock();
    const { evaluator, store } = open(c.now);
    await store.putSilence({
      id: 's1',
      matchers: { rule: 'run-failed', environment: 'staging' },
      startsAt: c.now().toISOString(),
      endsAt: new Date(c.now().getTime() + 3_600_000).toISOString(),
      createdBy: 'dan',
      comment: 'backfill',
    });
    feed(evaluator, signalsFromEvent(event('run.failed', 'staging', c.now().toISOString())));
    c.advance(60_000);
    expect(await evaluator.flush()).toEqual([]);
    c.advance(3_600_000);
    expect((await evaluator.flush()).map((d) => d.notification.status)).toEqual(['firing']);
    await store.close();
  });

  it('a resolve of an alert never notified sends nothing', async () => {
    const c = clock();
    const { evaluator, store } = open(c.now);
    feed(evaluator, signalsFromEvent(event('run.failed', 'dev', c.now().toISOString())));
    c.advance(1000);
    feed(evaluator, signalsFromEvent(event('run.succeeded', 'dev', c.now().toISOString())));
    c.advance(60_000);
    expect(await evaluator.flush()).toEqual([]);
    await store.close();
  });
});

describe('runDurationSignal', () => {
  const run = (id: string, seconds: number, end: number): RunRecord => ({
    id,
    environment: 'prod',
    releaseId: 'r',
    status: 'succeeded',
    actor: 'scheduler',
    models: null,
    error: undefined,
    startedAt: new Date(end - seconds * 1000).toISOString(),
    finishedAt: new Date(end).toISOString(),
  });
  it('fires above the p95 of the previous runs and ends within it', () => {
    const base = Date.parse('2026-12-01T00:00:00Z');
    const history = [10, 11, 12, 10, 13, 11].map((s, i) => run(`h${i}`, s, base - i * 3_600_000));
    expect(runDurationSignal([run('slow', 30, base + 1000), ...history])?.firing).toBe(true);
    expect(runDurationSignal([run('ok', 12, base + 1000), ...history])?.firing).toBe(false);
    expect(runDurationSignal([run('slow', 30, base + 1000), ...history], { factor: 3 })?.firing).toBe(false);
    expect(runDurationSignal([run('first', 30, base), run('h', 10, base - 1)])).toBeUndefined();
  });
});
