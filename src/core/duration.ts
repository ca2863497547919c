/** Durations as written in config (`30m`, `2h`, `7d`) to milliseconds and back. */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * @example parseDuration('2h') // 7_200_000
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = UNIT_MS[match[2] ?? ''];
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

/** A short human form: `850ms`, `4.2s`, `3m 10s`, `2h 5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h ${Math.round((ms % 3_600_000) / 60_000)}m`;
}

/**
 * A bound relative to the run's clock: `now`, `now - 7d`, `now + 30m`, as epoch ms at `now`, or
 * undefined when `text` is not one (so that dates written out, like `2026-01-01`, stay as they are).
 *
 * @example
 * relativeTime('now - 1d', Date.parse('2026-01-02T00:00:00Z')); // Date.parse('2026-01-01T00:00:00Z')
 */
export function relativeTime(text: string, now: number): number | undefined {
  const match = /^now(?:\s*([+-])\s*(.+))?$/.exec(text.trim());
  if (!match) return undefined;
  if (match[1] === undefined) return now;
  const ms = parseDuration(match[2] ?? '');
  if (ms === undefined) return undefined;
  return match[1] === '-' ? now - ms : now + ms;
}

/** Whether `text` means to be a clock-relative bound (starts with `now`), well formed or not. */
export const looksRelative = (text: string): boolean => /^now\b/.test(text.trim());
