/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`): one event per alert, `trigger` while it fires and
 * `resolve` when it ends, with the alert's fingerprint as `dedup_key` so PagerDuty keeps one
 * incident per alert. The routing key is the secret (from an environment variable).
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 */
import type { Notification } from '../notification.js';
import { type Notifier, postJson } from '../notifier.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
const PD_SEVERITY: Readonly<Record<string, string>> = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
};

export class PagerDutyNotifier implements Notifier {
  readonly type = 'pagerduty' as const;
  readonly channel: string;
  readonly #routingKey: string;
  readonly #url: string;

  constructor({
    channel,
    routingKey,
    url = PAGERDUTY_EVENTS_URL,
  }: { readonly channel: string; readonly routingKey: string; readonly url?: string }) {
    this.channel = channel;
    this.#routingKey = routingKey;
    this.#url = url;
  }

  async send(n: Notification): Promise<void> {
    for (const alert of n.alerts) {
      const event =
        n.status === 'firing'
          ? {
              routing_key: this.#routingKey,
              event_action: 'trigger',
              dedup_key: alert.fingerprint,
              payload: {
                summary: alert.summary.slice(0, 1024),
                source: alert.labels['environment'] ? `slipway/${alert.labels['environment']}` : 'slipway',
                severity: PD_SEVERITY[alert.severity] ?? 'error',
                timestamp: alert.startsAt,
                component: alert.labels['environment'] ?? 'operator',
                group: alert.owner,
                class: alert.rule,
                custom_details: { ...alert.labels },
              },
            }
          : { routing_key: this.#routingKey, event_action: 'resolve', dedup_key: alert.fingerprint };
      await postJson(this.channel, this.#url, event);
    }
  }
}
