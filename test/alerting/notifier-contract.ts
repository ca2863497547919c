/**
 * The notifier contract, run against every channel with its receiver: a firing notification
 * arrives and says which rule fired and why; the resolve arrives as a resolve; a group of 120
 * alerts with long summaries is still accepted (the stand-ins refuse what breaks the channel's
 * published limits); a receiver that refuses makes `send` throw an error naming the channel and
 * not the channel's secret; nothing the receiver got contains a secret it should not.
 */
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/alerting/notification.js';
import { type Notifier, NotifierError } from '../../src/alerting/notifier.js';

/** What a receiver got, decoded from the channel's own format. */
export interface Received {
  readonly status: 'firing' | 'resolved';
  /** Every human-readable text of the message, joined. */
  readonly text: string;
  /** The raw message (headers and body), for the secret check. */
  readonly raw: string;
}

export interface NotifierHarness {
  setup(): Promise<{
    notifier: Notifier;
    /** Everything received so far, one entry per message (PagerDuty: per event). */
    received(): Promise<Received[]>;
    /** Makes the receiver refuse the next deliveries. */
    refuseNext(n: number): void;
    /** Secrets that must not appear in errors (and in messages, `secretsInMessage` aside). */
    secrets: readonly string[];
    /** Secrets the channel's protocol itself carries in the message (PagerDuty's routing key). */
    secretsInMessage?: readonly string[];
    stop(): Promise<void>;
  }>;
}

function notification(status: 'firing' | 'resolved', count = 1, summaryLength = 40): Notification {
  const alerts = Array.from({ length: count }, (_, i) => ({
    fingerprint: `fp${i}`,
    rule: 'prod-release-failed',
    severity: 'critical',
    owner: 'data-platform',
    summary: `release r-${i} to prod failed: ${'x'.repeat(summaryLength)}`,
    labels: {
      rule: 'prod-release-failed',
      environment: 'prod',
      severity: 'critical',
      owner: 'data-platform',
    },
    startsAt: '2026-12-01T10:00:00.000Z',
    endsAt: status === 'resolved' ? '2026-12-01T10:05:00.000Z' : null,
  }));
  return {
    status,
    groupKey: 'rule=prod-release-failed,environment=prod',
    groupLabels: { rule: 'prod-release-failed', environment: 'prod' },
    alerts,
    repeat: false,
  };
}

export function notifierContract(name: string, harness: NotifierHarness): void {
  describe(`${name} (notifier contract)`, () => {
    it('delivers a firing notification, then its resolve', async () => {
      const h = await harness.setup();
      try {
        await h.notifier.send(notification('firing'));
        await h.notifier.send(notification('resolved'));
        const got = await h.received();
        expect(got.map((r) => r.status)).toEqual(['firing', 'resolved']);
        expect(got[0]?.text).toContain('prod-release-failed');
        expect(got[0]?.text).toContain('release r-0 to prod failed');
        const allowed = h.secretsInMessage ?? [];
        for (const secret of h.secrets.filter((s) => !allowed.includes(s)))
          for (const r of got) expect(r.raw).not.toContain(secret);
      } finally {
        await h.stop();
      }
    });

    it("keeps a large group within the channel's limits", async () => {
      const h = await harness.setup();
      try {
        await h.notifier.send(notification('firing', 120, 4000));
        const got = await h.received();
        expect(got.length).toBeGreaterThan(0);
        expect(got.every((r) => r.status === 'firing')).toBe(true);
        expect(got.map((r) => r.text).join('\n')).toContain('release r-0 to prod failed');
      } finally {
        await h.stop();
      }
    });

    it('throws a NotifierError naming the channel, not its secret, when the receiver refuses', async () => {
      const h = await harness.setup();
      try {
        h.refuseNext(1);
        const error = await h.notifier.send(notification('firing')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(NotifierError);
        expect(String((error as Error).message)).toContain(h.notifier.channel);
        for (const secret of h.secrets) expect(String((error as Error).message)).not.toContain(secret);
      } finally {
        await h.stop();
      }
    });
  });
}
