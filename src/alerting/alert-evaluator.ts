/**
 * Alert evaluation: signals in, notifications out. Each rule of `alerts.yaml` whose kind (and
 * environments) match a signal keeps one alert per subject (its fingerprint), so the same
 * condition reported again is de-duplicated. `flush` decides what is due — a new alert once it
 * has waited `group_wait` (and its rule's `for`), a still-firing one again after
 * `repeat_interval`, a resolved one that was notified as firing — groups those by the
 * `group_by` labels and the rule's channels, skips what an active silence covers, and records the
 * notified state in the alert store before it returns the notifications, so a restart never
 * repeats one.
 */
import { createHash } from 'node:crypto';
import { parseDuration } from '../core/duration.js';
import type { AlertRuleConfig, AlertsFile } from '../project/alerts-schema.js';
import type { AlertRecord, AlertStore } from '../state/alert-store.js';
import type { AlertSignal } from './alert-signal.js';
import type { Notification } from './notification.js';
import { silenced } from './silence-matcher.js';

export interface Delivery {
  readonly channel: string;
  readonly notification: Notification;
}

export const DEFAULT_REPEAT_INTERVAL = '4h';

export class AlertEvaluator {
  readonly #config: AlertsFile;
  readonly #store: AlertStore;
  readonly #now: () => Date;
  readonly #alerts = new Map<string, AlertRecord>();
  readonly #dirty = new Set<string>();
  #loaded = false;

  constructor({
    config,
    store,
    now = () => new Date(),
  }: {
    readonly config: AlertsFile;
    readonly store: AlertStore;
    readonly now?: () => Date;
  }) {
    this.#config = config;
    this.#store = store;
    this.#now = now;
  }

  /** Reads the alert states the store kept (after a restart). */
  async load(): Promise<void> {
    // What was observed before the load (not yet written) wins over the stored state.
    for (const a of await this.#store.alerts())
      if (!this.#dirty.has(a.fingerprint)) this.#alerts.set(a.fingerprint, a);
    this.#loaded = true;
  }

  get alerts(): readonly AlertRecord[] {
    return [...this.#alerts.values()];
  }

  /** Applies a signal to every rule it matches. */
  observe(signal: AlertSignal): void {
    for (const rule of this.#config.rules) {
      if (rule.kind !== signal.kind) continue;
      const environment = signal.labels['environment'];
      if (rule.environments && (environment === undefined || !rule.environments.includes(environment)))
        continue;
      const labels = { ...signal.labels, rule: rule.name, severity: rule.severity, owner: rule.owner };
      const fingerprint = fingerprintOf(labels);
      const current = this.#alerts.get(fingerprint);
      const summary = rule.summary ? `${rule.summary}: ${signal.summary}` : signal.summary;
      if (signal.firing) {
        if (current?.status === 'firing') {
          if (current.summary === summary) continue;
          this.#set({ ...current, summary });
        } else {
          this.#set({
            fingerprint,
            rule: rule.name,
            labels,
            severity: rule.severity,
            owner: rule.owner,
            summary,
            status: 'firing',
            startsAt: signal.at,
            endsAt: null,
            // A new firing after a resolve is a new episode: it is notified again.
            notifiedStatus: null,
            lastNotifiedAt: null,
          });
        }
      } else if (current?.status === 'firing') {
        this.#set({ ...current, status: 'resolved', endsAt: signal.at, summary });
      }
    }
  }

  /** The notifications due now, grouped; their alerts' notified state already persisted. */
  async flush(): Promise<Delivery[]> {
    if (!this.#loaded) await this.load();
    const now = this.#now();
    const silences = await this.#store.silences();
    const groupWait = parseDuration(this.#config.group_wait ?? '0s') ?? 0;
    const repeat = parseDuration(this.#config.repeat_interval ?? DEFAULT_REPEAT_INTERVAL) ?? 0;
    const groupBy = this.#config.group_by ?? ['rule', 'environment'];
    const due: { alert: AlertRecord; status: 'firing' | 'resolved'; repeat: boolean }[] = [];
    for (const alert of this.#alerts.values()) {
      const rule = this.#rule(alert.rule);
      if (!rule) continue;
      if (silenced(alert.labels, silences, now)) continue;
      if (alert.status === 'firing') {
        const wait = Math.max(groupWait, parseDuration(rule.for ?? '0s') ?? 0);
        if (alert.notifiedStatus !== 'firing') {
          if (now.getTime() - Date.parse(alert.startsAt) >= wait)
            due.push({ alert, status: 'firing', repeat: false });
        } else if (
          repeat > 0 &&
          alert.lastNotifiedAt !== null &&
          now.getTime() - Date.parse(alert.lastNotifiedAt) >= repeat
        ) {
          due.push({ alert, status: 'firing', repeat: true });
        }
      } else if (alert.notifiedStatus === 'firing') {
        due.push({ alert, status: 'resolved', repeat: false });
      }
    }
    const groups = new Map<string, { notification: Notification; channels: readonly string[] }>();
    const allChannels = Object.keys(this.#config.channels);
    for (const { alert, status, repeat: again } of due) {
      const rule = this.#rule(alert.rule) as AlertRuleConfig;
      const channels = rule.channels ?? allChannels;
      const groupLabels = Object.fromEntries(
        groupBy.flatMap((k) => (alert.labels[k] === undefined ? [] : [[k, alert.labels[k] as string]])),
      );
      const groupKey = `${Object.entries(groupLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`;
      const key = `${status}|${groupKey}|${channels.join(',')}`;
      const group = groups.get(key) ?? {
        notification: { status, groupKey, groupLabels, alerts: [], repeat: again },
        channels,
      };
      group.notification = {
        ...group.notification,
        repeat: group.notification.repeat && again,
        alerts: [
          ...group.notification.alerts,
          {
            fingerprint: alert.fingerprint,
            rule: alert.rule,
            severity: alert.severity,
            owner: alert.owner,
            summary: alert.summary,
            labels: alert.labels,
            startsAt: alert.startsAt,
            endsAt: alert.endsAt,
          },
        ],
      };
      groups.set(key, group);
      this.#set({ ...alert, notifiedStatus: status, lastNotifiedAt: now.toISOString() });
    }
    // Silently resolved (never notified) alerts are forgotten with the others after a day.
    await this.persist();
    await this.#store.pruneResolved(new Date(now.getTime() - 86_400_000).toISOString());
    return [...groups.values()].flatMap(({ notification, channels }) =>
      channels.map((channel) => ({ channel, notification })),
    );
  }

  /** Writes the alerts changed since the last write. */
  async persist(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const changed = [...this.#dirty].flatMap((f) => {
      const a = this.#alerts.get(f);
      return a ? [a] : [];
    });
    this.#dirty.clear();
    await this.#store.putAlerts(changed);
  }

  #rule(name: string): AlertRuleConfig | undefined {
    return this.#config.rules.find((r) => r.name === name);
  }

  #set(alert: AlertRecord): void {
    this.#alerts.set(alert.fingerprint, alert);
    this.#dirty.add(alert.fingerprint);
  }
}

/** A stable hash of the labels (sorted), as Alertmanager fingerprints alerts. */
export function fingerprintOf(labels: Readonly<Record<string, string>>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
