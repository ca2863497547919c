/**
 * The dispatcher against loopback HTTP receivers (Slack-format stand-ins: POST JSON, answered
 * `ok`): a channel that hangs fills only its own bounded queue — the rest is dropped as
 * `queue_full` while another channel delivers everything — and a shutdown drops what is left as
 * `shutdown`; a refused delivery is retried with jittered backoff until it goes through; retries
 * run out into a `failed` drop, logged without the channel's secret URL; a channel without its
 * secret is dropped as `unconfigured`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/alerting/alert-evaluator.js';
import { type DropReason, NotificationDispatcher } from '../../src/alerting/notification-dispatcher.js';
import type { Notifier } from '../../src/alerting/notifier.js';
import { SlackNotifier } from '../../src/alerting/notifiers/slack-notifier.js';
import { capturedLogger } from '../helpers/captured-logger.js';
import { type HttpReceiver, startHttpReceiver } from '../helpers/http-receiver.js';

const receivers: HttpReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
});

async function slack(channel: string): Promise<{ receiver: HttpReceiver; notifier: Notifier }> {
  const receiver = await startHttpReceiver(() => ({ status: 200, body: 'ok', contentType: 'text/plain' }));
  receivers.push(receiver);
  return { receiver, notifier: new SlackNotifier({ channel, webhookUrl: `${receiver.url}/services/T/B/x` }) };
}

function delivery(channel: string, i: number): Delivery {
  return {
    channel,
    notification: {
      status: 'firing',
      groupKey: `rule=r${i}`,
      groupLabels: { rule: `r${i}` },
      repeat: false,
      alerts: [
        {
          fingerprint: `fp${i}`,
          rule: `r${i}`,
          severity: 'warning',
          owner: 'team',
          summary: `alert ${i}`,
          labels: { rule: `r${i}` },
          startsAt: '2026-12-01T10:00:00.000Z',
          endsAt: null,
        },
      ],
    },
  };
}

function drops(): { counted: Record<string, number>; onDrop: (c: string, r: DropReason, n: number) => void } {
  const counted: Record<string, number> = {};
  return {
    counted,
    onDrop: (channel, reason, n) => {
      counted[`${channel}:${reason}`] = (counted[`${channel}:${reason}`] ?? 0) + n;
    },
  };
}

describe('NotificationDispatcher', () => {
  it('a hanging channel fills only its own bounded queue; the other channel delivers everything', async () => {
    const slow = await slack('slow');
    const fast = await slack('fast');
    slow.receiver.delayMs = 3_600_000; // never answers while the test runs
    const { counted, onDrop } = drops();
    const notifiers = new Map([
      ['slow', slow.notifier],
      ['fast', fast.notifier],
    ]);
    const dispatcher = new NotificationDispatcher({
      notifier: (c) => notifiers.get(c),
      maxQueue: 2,
      timeoutMs: 3_600_000,
      onDrop,
    });
    dispatcher.push(Array.from({ length: 5 }, (_, i) => delivery('slow', i)));
    // One in flight and two queued for `slow`; the other two refused at once.
    expect(counted).toEqual({ 'slow:queue_full': 2 });
    // Meanwhile `fast` delivers each of its notifications.
    for (let i = 0; i < 5; i++) {
      dispatcher.push([delivery('fast', i)]);
      await expect.poll(() => fast.receiver.requests.length, { timeout: 60_000 }).toBe(i + 1);
    }
    expect(counted).toEqual({ 'slow:queue_full': 2 });
    expect(dispatcher.stats.queued).toBe(3);
    await dispatcher.close(50);
    expect(counted).toEqual({ 'slow:queue_full': 2, 'slow:shutdown': 3 });
    expect(dispatcher.stats.delivered).toBe(5);
    dispatcher.push([delivery('fast', 9)]);
    expect(counted['fast:shutdown']).toBe(1);
  }, 90_000);

  it('retries a refused delivery with jittered backoff until it goes through', async () => {
    const { receiver, notifier } = await slack('team');
    receiver.failNext(2);
    const jitter: number[] = [];
    const dispatcher = new NotificationDispatcher({
      notifier: () => notifier,
      maxAttempts: 4,
      baseDelayMs: 10,
      random: () => {
        jitter.push(1);
        return 0.5;
      },
    });
    dispatcher.push([delivery('team', 1)]);
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(1);
    expect(dispatcher.stats).toMatchObject({ delivered: 1, retried: 2, queued: 0 });
    expect(jitter).toHaveLength(2);
  });

  it('drops after the last attempt (failed) and without a notifier (unconfigured), counting both', async () => {
    const { receiver, notifier } = await slack('team');
    receiver.failNext(100);
    const { counted, onDrop } = drops();
    const { logger, logged } = capturedLogger();
    const dispatcher = new NotificationDispatcher({
      notifier: (c) => (c === 'team' ? notifier : undefined),
      maxAttempts: 3,
      baseDelayMs: 1,
      onDrop,
      logger,
    });
    dispatcher.push([delivery('team', 1), delivery('nowhere', 2)]);
    await dispatcher.idle();
    // One warning naming the channel and the answer; never the webhook URL (Slack's secret).
    expect(logged()).toContain('alert notification dropped after its retries');
    expect(logged()).toContain('HTTP 500');
    expect(logged()).not.toContain('/services/T/B/x');
    expect(logged()).not.toContain(receiver.url);
    expect(counted).toEqual({ 'team:failed': 1, 'nowhere:unconfigured': 1 });
    expect(dispatcher.stats).toMatchObject({ delivered: 0, retried: 2 });
    expect(dispatcher.stats.dropped).toMatchObject({ failed: 1, unconfigured: 1 });
  });
});
