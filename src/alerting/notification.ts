/**
 * What a channel is told: one group of alerts (same group labels), all firing or all resolved.
 * Notifiers turn it into their own wire format; nothing in it is secret.
 */
export interface NotifiedAlert {
  readonly fingerprint: string;
  readonly rule: string;
  readonly severity: string;
  readonly owner: string;
  readonly summary: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string | null;
}

export interface Notification {
  readonly status: 'firing' | 'resolved';
  /** Stable per group: `rule=…,environment=…`. */
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly alerts: readonly NotifiedAlert[];
  /** A repeat of a notification already sent (repeat_interval). */
  readonly repeat: boolean;
}

/** One line for a title: `[FIRING:2] prod-release-failed (environment=prod)`. */
export function notificationTitle(n: Notification): string {
  const labels = Object.entries(n.groupLabels)
    .filter(([k]) => k !== 'rule')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const rule = n.groupLabels['rule'] ?? n.alerts[0]?.rule ?? 'alert';
  return `[${n.status.toUpperCase()}${n.alerts.length > 1 ? `:${n.alerts.length}` : ''}] ${rule}${labels ? ` (${labels})` : ''}`;
}
