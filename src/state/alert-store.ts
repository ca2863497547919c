/**
 * The alert store seam: what the operator's alerting remembers across restarts — each alert's
 * state (firing or resolved, and what was last notified about it, and when), the event-log
 * position evaluation has reached, and the silences made through the API. Because the notified
 * state is written before a notification goes out, an operator that restarts neither resends a
 * resolved notification nor re-fires what it already told. Implementations:
 * `sqlite/sqlite-alert-store.ts`, `postgres/postgres-alert-store.ts`; both run
 * `test/state/alert-store-contract.ts`.
 */

export type AlertStatus = 'firing' | 'resolved';

export interface AlertRecord {
  /** Hash of the rule and the labels: one alert per rule and environment (or other subject). */
  readonly fingerprint: string;
  readonly rule: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly severity: string;
  readonly owner: string;
  readonly summary: string;
  readonly status: AlertStatus;
  readonly startsAt: string;
  readonly endsAt: string | null;
  /** What the channels were last told: null before the first notification. */
  readonly notifiedStatus: AlertStatus | null;
  readonly lastNotifiedAt: string | null;
}

export interface SilenceRecord {
  readonly id: string;
  /** Label equality matchers, all of which must match (`rule`, `environment`, `severity`, `owner`). */
  readonly matchers: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

export interface AlertStore {
  alerts(): Promise<AlertRecord[]>;
  /** Records (or replaces, by fingerprint) alerts, all in one transaction. */
  putAlerts(alerts: readonly AlertRecord[]): Promise<void>;
  /** Forgets resolved alerts that ended before `before` (ISO time); how many. */
  pruneResolved(before: string): Promise<number>;

  /** The last event-log sequence number evaluated (0 before any). */
  cursor(): Promise<number>;
  setCursor(seq: number): Promise<void>;

  silences(): Promise<SilenceRecord[]>;
  putSilence(silence: SilenceRecord): Promise<void>;
  /** False when there was no such silence. */
  deleteSilence(id: string): Promise<boolean>;

  close(): Promise<void>;
}
