/**
 * Faults: Slack down. The Slack incoming webhook is a stand-in (Slack cannot run here) on a
 * loopback port, speaking the published format (POST JSON with `text`/`blocks`, answered `ok`),
 * that first never answers (a hung connection) and then answers 500. Through the operator, on a
 * real git repository: releases still complete, the healthy signed-webhook channel still gets
 * every notification, and Slack's notifications are retried (each attempt cut off by the
 * dispatcher's timeout), then dropped and counted in `slipway_alert_notifications_dropped_total`
 * on `/metrics`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/alerting/notification.js';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { type HttpReceiver, startHttpReceiver } from '../helpers/http-receiver.js';
import { git } from '../helpers/release-project.js';
import { announce, eventually, type GitOpsFixture, gitopsFixture } from './gitops-fixture.js';

const CONFIG = `name: alert-faults
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }
state: { type: sqlite, path: .slipway/state.db }
environments:
  staging: { strategy: blue-green, sync: auto }
defaults: { concurrency: 1 }
`;
const ATTEMPTS = 3;
const SLACK_PATH = '/services/T0SLIPWAY/B0FAULTS/hangs0rFails';

interface SlackStandIn {
  readonly url: string;
  mode: 'hang' | 'error';
  readonly attempts: { hang: number; error: number };
  stop(): Promise<void>;
}

async function slackStandIn(): Promise<SlackStandIn> {
  const hung: ServerResponse[] = [];
  const standIn = {
    url: '',
    mode: 'hang' as 'hang' | 'error',
    attempts: { hang: 0, error: 0 },
    stop: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        text?: string;
        blocks?: unknown[];
      };
      if (req.url !== SLACK_PATH || !(body.text || body.blocks)) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      standIn.attempts[standIn.mode] += 1;
      if (standIn.mode === 'hang')
        hung.push(res); // never answered
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('internal_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SLACK_PATH}`;
  standIn.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}

let fixture: GitOpsFixture;
let slack: SlackStandIn;
let hook: HttpReceiver;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];

const released = (sha: string, outcome: TimelineEntry['outcome']) =>
  eventually(`${sha.slice(0, 8)} ${outcome}`, () =>
    timeline.some((e) => e.commit === sha && e.environment === 'staging' && e.outcome === outcome),
  );

async function dropped(reason: string): Promise<number> {
  const text = await (await fetch(`${runtime.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`slipway_alert_notifications_dropped_total{channel="slack",reason="${reason}"}`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const hookStatuses = (): string[] =>
  hook.requests.map((r) => {
    const n = JSON.parse(r.body) as Notification;
    return `${n.groupLabels['rule']}:${n.status}`;
  });

beforeAll(async () => {
  slack = await slackStandIn();
  hook = await startHttpReceiver(() => ({ status: 200, body: '{}' }));
  fixture = await gitopsFixture(CONFIG);
  await fixture.commitFiles(
    {
      'alerts.yaml': `channels:
  slack: { type: slack, webhook_url_env: SLACK_WEBHOOK_URL }
  hooks: { type: webhook, url: ${hook.url}/slipway, secret_env: HOOK_SECRET }
rules:
  - { name: gate-failed, kind: check_failed, severity: critical, owner: data-platform }
`,
    },
    'Alert rules',
  );
  runtime = await fixture.start({
    onTimeline: (e) => timeline.push(e),
    alerting: {
      alertEnv: { SLACK_WEBHOOK_URL: slack.url, HOOK_SECRET: 'hook-secret-for-faults-0001' },
      alertIntervalMs: 50,
      alertDelivery: { maxAttempts: ATTEMPTS, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 300 },
    },
  });
  await runtime.leader();
  await released(await git(fixture.project.root, 'rev-parse', 'HEAD'), 'released');
}, 120_000);

afterAll(async () => {
  await fixture?.remove();
  await slack?.stop();
  await hook?.stop();
});

describe('a Slack channel that is down', () => {
  it('hangs: releases complete, the other channel is told, Slack is retried then dropped and counted', async () => {
    const bad = await fixture.mergeVersion(-1, 5);
    await announce(runtime.url, bad);
    await released(bad, 'blocked');
    await eventually('the webhook told of the firing', () => hookStatuses().includes('gate-failed:firing'));
    // The fix goes out whatever Slack does.
    const fix = await fixture.mergeVersion(2, 6);
    await announce(runtime.url, fix);
    await released(fix, 'released');
    await eventually('the webhook told of the firing and the resolve', () =>
      ['gate-failed:firing', 'gate-failed:resolved'].every((s) => hookStatuses().includes(s)),
    );
    await runtime.alerting.dispatcher.idle();
    // Two notifications (firing, resolved), each tried ATTEMPTS times against a Slack that never answers.
    expect(slack.attempts.hang).toBe(2 * ATTEMPTS);
    expect(await dropped('failed')).toBe(2);
    expect(runtime.alerting.dispatcher.stats.retried).toBe(2 * (ATTEMPTS - 1));
  }, 120_000);

  it('answers 500: retried, dropped and counted, and the release path is untouched', async () => {
    slack.mode = 'error';
    const bad = await fixture.mergeVersion(-2, 7);
    await announce(runtime.url, bad);
    await released(bad, 'blocked');
    await eventually(
      'the webhook told of the second firing',
      () => hookStatuses().filter((s) => s === 'gate-failed:firing').length === 2,
    );
    await runtime.alerting.dispatcher.idle();
    expect(slack.attempts.error).toBe(ATTEMPTS);
    expect(await dropped('failed')).toBe(3);
    const fix = await fixture.mergeVersion(3, 8);
    await announce(runtime.url, fix);
    await released(fix, 'released');
  }, 120_000);
});
