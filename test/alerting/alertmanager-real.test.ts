/**
 * The real Alertmanager (Debian's prometheus-alertmanager 0.25, installed by
 * scripts/install-test-services.sh; without it this test fails, saying so) on a free loopback
 * port with a temporary config whose receiver is a loopback webhook: a rule of alerts.yaml fires,
 * the evaluator hands it to Slipway's Alertmanager notifier (`POST /api/v2/alerts`), and
 * Alertmanager groups it and delivers it to the webhook; then the resolve. No time bound other
 * than the test's generous timeout: the test polls.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../src/alerting/alert-evaluator.js';
import { AlertmanagerNotifier } from '../../src/alerting/notifiers/alertmanager-notifier.js';
import type { Diagnostic } from '../../src/core/errors.js';
import { parseAlerts } from '../../src/project/load-alerts.js';
import { SqliteAlertStore } from '../../src/state/sqlite/sqlite-alert-store.js';
import { type HttpReceiver, startHttpReceiver } from '../helpers/http-receiver.js';

interface AlertmanagerWebhook {
  readonly version: string;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly alerts: readonly {
    readonly status: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  }[];
}

function alertmanagerBinary(): string {
  for (const name of ['prometheus-alertmanager', 'alertmanager']) {
    if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return name;
  }
  throw new Error(
    "Alertmanager is missing: install Debian's prometheus-alertmanager (scripts/install-test-services.sh)",
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until true; the test's timeout reports a step that never comes. */
async function poll(predicate: () => boolean | Promise<boolean>): Promise<void> {
  for (;;) {
    if (am?.exitCode != null) throw new Error(`Alertmanager exited: ${amLog.slice(-2000)}`);
    if (
      await Promise.resolve()
        .then(predicate)
        .catch(() => false)
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

let dir: string;
let hook: HttpReceiver;
let am: ChildProcess;
let amUrl: string;
let amLog = '';

beforeAll(async () => {
  const binary = alertmanagerBinary();
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-alertmanager-'));
  hook = await startHttpReceiver(() => ({ status: 200, body: '' }));
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  await writeFile(
    path.join(dir, 'alertmanager.yml'),
    `route:
  receiver: slipway-hook
  group_by: [alertname, environment]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: slipway-hook
    webhook_configs:
      - url: ${hook.url}/alertmanager
        send_resolved: true
`,
  );
  am = spawn(
    binary,
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  am.stderr?.on('data', (c: Buffer) => {
    amLog += c.toString();
  });
  await poll(async () => (await fetch(`${amUrl}/-/ready`)).ok);
}, 60_000);

afterAll(async () => {
  if (am && am.exitCode === null) {
    const exited = new Promise((r) => am.once('exit', r));
    am.kill('SIGTERM');
    await exited;
  }
  await hook?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a real Alertmanager', () => {
  it('receives a firing rule from Slipway and delivers it, then the resolve, to its webhook', async () => {
    const diagnostics: Diagnostic[] = [];
    const config = parseAlerts(
      `channels:
  am: { type: alertmanager, url: ${amUrl} }
rules:
  - { name: prod-release-failed, kind: release_failed, severity: critical, owner: data-platform,
      environments: [prod], summary: a prod release failed }
`,
      ['prod'],
      diagnostics,
    );
    expect(diagnostics).toEqual([]);
    if (!config) throw new Error('alerts.yaml did not parse');
    const store = new SqliteAlertStore(path.join(dir, 'operator.db'));
    const evaluator = new AlertEvaluator({ config, store });
    const notifier = new AlertmanagerNotifier({ channel: 'am', url: amUrl });
    const received = (): AlertmanagerWebhook[] =>
      hook.requests.map((r) => JSON.parse(r.body) as AlertmanagerWebhook);
    try {
      evaluator.observe({
        kind: 'release_failed',
        firing: true,
        labels: { environment: 'prod' },
        summary: 'r-42 to prod failed: the gate failed',
        at: new Date().toISOString(),
      });
      const firing = await evaluator.flush();
      expect(firing.map((d) => d.channel)).toEqual(['am']);
      for (const d of firing) await notifier.send(d.notification);
      await poll(() => received().some((w) => w.status === 'firing'));
      const fired = received().find((w) => w.status === 'firing') as AlertmanagerWebhook;
      expect(fired.receiver).toBe('slipway-hook');
      expect(fired.alerts[0]?.labels).toMatchObject({
        alertname: 'prod-release-failed',
        environment: 'prod',
        severity: 'critical',
        owner: 'data-platform',
        service: 'slipway',
      });
      expect(fired.alerts[0]?.annotations['summary']).toBe(
        'a prod release failed: r-42 to prod failed: the gate failed',
      );

      evaluator.observe({
        kind: 'release_failed',
        firing: false,
        labels: { environment: 'prod' },
        summary: 'r-43 to prod succeeded',
        at: new Date().toISOString(),
      });
      const resolved = await evaluator.flush();
      expect(resolved.map((d) => d.notification.status)).toEqual(['resolved']);
      for (const d of resolved) await notifier.send(d.notification);
      await poll(() => received().some((w) => w.status === 'resolved'));
      const done = received().find((w) => w.status === 'resolved') as AlertmanagerWebhook;
      expect(done.alerts[0]).toMatchObject({
        status: 'resolved',
        labels: { alertname: 'prod-release-failed' },
      });
    } finally {
      await store.close();
    }
  }, 120_000);
});
