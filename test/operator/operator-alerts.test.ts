/**
 * Alerting in the running operator, on a real git repository with real SQLite state and DuckDB:
 * a commit stopped by staging's check gate fires `check_failed` and the signed webhook channel is
 * told once; a restart neither re-fires it nor, once the fix resolved it, re-sends the resolve
 * (three operator runs on one home). The webhook receiver is a loopback HTTP server that checks
 * Slipway's own signature (`X-Slipway-Signature`, HMAC-SHA256 over `<timestamp>.<body>`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/alerting/notification.js';
import { verifyWebhookSignature } from '../../src/alerting/notifiers/webhook-notifier.js';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { type HttpReceiver, startHttpReceiver } from '../helpers/http-receiver.js';
import { git } from '../helpers/release-project.js';
import { runCli } from '../helpers/run-cli.js';
import { announce, api, eventually, type GitOpsFixture, gitopsFixture, TOKENS } from './gitops-fixture.js';

const HOOK_SECRET = 'hook-secret-for-the-alert-test-42';
const CONFIG = `name: alerts-test
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }
state: { type: sqlite, path: .slipway/state.db }
environments:
  staging: { strategy: blue-green, sync: auto }
defaults: { concurrency: 1 }
`;

let fixture: GitOpsFixture;
let hook: HttpReceiver;
const timeline: TimelineEntry[] = [];
let forged = 0;

const notifications = (): Notification[] =>
  hook.requests.map((r) => JSON.parse(r.body) as Notification & { version: number });
const byRule = (rule: string): Notification[] =>
  notifications().filter((n) => n.groupLabels['rule'] === rule);

async function run<T>(body: (runtime: OperatorRuntime) => Promise<T>): Promise<T> {
  const runtime = await fixture.start({
    onTimeline: (e) => timeline.push(e),
    alerting: { alertEnv: { HOOK_SECRET }, alertIntervalMs: 50 },
  });
  try {
    await runtime.leader();
    return await body(runtime);
  } finally {
    await runtime.stop();
  }
}

/** Waits until the loop has read every event and evaluated twice more: what is due has gone. */
async function settled(runtime: OperatorRuntime): Promise<void> {
  const [last] = (await runtime.state.listEvents({})).slice(-1);
  const seq = last?.seq ?? 0;
  let turns = -1;
  await eventually('the alert loop to catch up', async () => {
    if ((await readCursor(runtime)) < seq) return false;
    if (turns < 0) turns = runtime.alerting.loop.turns;
    return runtime.alerting.loop.turns >= turns + 2;
  });
  await runtime.alerting.dispatcher.idle();
}

async function readCursor(runtime: OperatorRuntime): Promise<number> {
  // The loop's cursor as the alert store keeps it (the same file the next run reads).
  const { SqliteAlertStore } = await import('../../src/state/sqlite/sqlite-alert-store.js');
  const store = new SqliteAlertStore(`${runtime.home}/.slipway/operator.db`);
  try {
    return await store.cursor();
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  hook = await startHttpReceiver((req) => {
    const ok = verifyWebhookSignature(
      HOOK_SECRET,
      String(req.headers['x-slipway-timestamp']),
      req.body,
      String(req.headers['x-slipway-signature']),
    );
    if (!ok) forged += 1;
    return ok ? { status: 200, body: '{}' } : { status: 401, body: '{"error":"bad signature"}' };
  });
  fixture = await gitopsFixture(CONFIG);
  await fixture.commitFiles(
    {
      'alerts.yaml': `group_by: [rule, environment]
repeat_interval: 4h
channels:
  hooks: { type: webhook, url: ${hook.url}/slipway, secret_env: HOOK_SECRET }
rules:
  - { name: staging-checks-failed, kind: check_failed, severity: critical, owner: data-platform,
      environments: [staging], channels: [hooks] }
  - { name: release-failed, kind: release_failed, severity: warning, owner: data-platform }
`,
    },
    'Alert rules',
  );
}, 60_000);

afterAll(async () => {
  await fixture?.remove();
  await hook?.stop();
});

describe('alerting in the operator', () => {
  it('a gate failure is notified once, and a restart does not notify it again', async () => {
    const head = await git(fixture.project.root, 'rev-parse', 'HEAD');
    await run(async (runtime) => {
      await eventually('the first release', () =>
        timeline.some((e) => e.commit === head && e.outcome === 'released'),
      );
      const bad = await fixture.mergeVersion(-1, 3);
      await announce(runtime.url, bad);
      await eventually('staging blocked', () =>
        timeline.some((e) => e.commit === bad && e.outcome === 'blocked'),
      );
      await eventually('the firing notification', () => hook.requests.length >= 1);
      await settled(runtime);
    });
    expect(forged).toBe(0);
    // One notification per group (rule, environment): the gate's and the failed release's.
    const [firing, ...more] = byRule('staging-checks-failed');
    expect(more).toEqual([]);
    expect(firing).toMatchObject({
      status: 'firing',
      groupLabels: { rule: 'staging-checks-failed', environment: 'staging' },
    });
    expect(firing?.alerts.map((a) => a.rule)).toEqual(['staging-checks-failed']);
    expect(firing?.alerts[0]?.summary).toMatch(/error-severity checks failed/);
    expect(byRule('release-failed').map((n) => n.status)).toEqual(['firing']);
    expect(hook.requests).toHaveLength(2);

    // Run 2 on the same home: nothing is re-fired; the fix resolves it, once.
    await run(async (runtime) => {
      await settled(runtime);
      expect(hook.requests).toHaveLength(2);
      // `slipway alerts list` (the built CLI) shows it through the API, with a silence made there.
      const silence = await api(runtime.url, 'POST', '/api/v1/silences', {
        role: 'deployer',
        body: {
          matchers: { environment: 'dev' },
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          comment: 'dev is noisy',
        },
      });
      expect(silence.status).toBe(200);
      const env = { SLIPWAY_OPERATOR_URL: runtime.url, SLIPWAY_TOKEN: TOKENS.viewer };
      const listed = await runCli(['alerts', 'list', '--json'], { env });
      expect(listed.code).toBe(0);
      const { alerts, silences } = JSON.parse(listed.stdout) as {
        alerts: { rule: string; status: string }[];
        silences: { createdBy: string; comment: string }[];
      };
      expect(alerts.map((a) => `${a.rule}:${a.status}`).sort()).toEqual([
        'release-failed:firing',
        'staging-checks-failed:firing',
      ]);
      expect(silences).toMatchObject([{ createdBy: 'dan', comment: 'dev is noisy' }]);
      const table = await runCli(['alerts', 'list'], { env });
      expect(
        table.stdout
          .split('\n')
          .some((l) => /staging-checks-failed.*firing.*critical.*data-platform/.test(l)),
      ).toBe(true);
      expect(table.stdout).toContain('dev is noisy');
      const fix = await fixture.mergeVersion(2, 4);
      await announce(runtime.url, fix);
      await eventually('the fix released', () =>
        timeline.some((e) => e.commit === fix && e.outcome === 'released'),
      );
      await eventually('the resolve', () => notifications().some((n) => n.status === 'resolved'));
      await settled(runtime);
    });
    const resolves = notifications().filter((n) => n.status === 'resolved');
    expect(resolves.map((n) => n.groupLabels['rule']).sort()).toEqual([
      'release-failed',
      'staging-checks-failed',
    ]);

    // Run 3: the resolves are not sent again.
    const before = hook.requests.length;
    await run(async (runtime) => {
      await settled(runtime);
    });
    expect(hook.requests.length).toBe(before);
    expect(byRule('staging-checks-failed').map((n) => n.status)).toEqual(['firing', 'resolved']);
    expect(byRule('release-failed').map((n) => n.status)).toEqual(['firing', 'resolved']);
  }, 240_000);
});
