/**
 * Prometheus Alertmanager (`POST /api/v2/alerts`): each alert with its labels (`alertname` = the
 * rule) and a `summary` annotation; a resolved alert is posted again with `endsAt`, which
 * Alertmanager reads as resolved. Alertmanager then groups, routes and delivers it itself.
 * https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml
 */
import type { Notification } from '../notification.js';
import { type Notifier, postJson } from '../notifier.js';

export class AlertmanagerNotifier implements Notifier {
  readonly type = 'alertmanager' as const;
  readonly channel: string;
  readonly #url: string;

  constructor({ channel, url }: { readonly channel: string; readonly url: string }) {
    this.channel = channel;
    this.#url = `${url.replace(/\/+$/, '')}/api/v2/alerts`;
  }

  async send(n: Notification): Promise<void> {
    const alerts = n.alerts.map((a) => {
      const { rule, ...labels } = a.labels;
      return {
        labels: { alertname: rule ?? a.rule, ...labels, service: 'slipway' },
        annotations: { summary: a.summary },
        startsAt: a.startsAt,
        ...(n.status === 'resolved' ? { endsAt: a.endsAt ?? new Date().toISOString() } : {}),
      };
    });
    await postJson(this.channel, this.#url, alerts);
  }
}
