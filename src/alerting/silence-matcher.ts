/** Whether a silence, active at `now`, covers an alert: every matcher equals the alert's label. */
import type { SilenceRecord } from '../state/alert-store.js';

export function silenced(
  labels: Readonly<Record<string, string>>,
  silences: readonly SilenceRecord[],
  now: Date,
): SilenceRecord | undefined {
  const t = now.getTime();
  return silences.find(
    (s) =>
      Date.parse(s.startsAt) <= t &&
      t < Date.parse(s.endsAt) &&
      Object.entries(s.matchers).every(([k, v]) => labels[k] === v),
  );
}
