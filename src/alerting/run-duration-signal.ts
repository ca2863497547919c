/**
 * `run_duration`: a finished run slower than `factor` × the 95th percentile of the environment's
 * previous `window` finished runs fires; one within it ends the condition. Needs at least three
 * earlier runs, so a new environment never alerts on its first runs.
 */
import type { RunRecord } from '../state/state-store.js';
import type { AlertSignal } from './alert-signal.js';

/** `runs` newest first, as `listRuns` returns them; the first is the run just finished. */
export function runDurationSignal(
  runs: readonly RunRecord[],
  { window = 20, factor = 1 }: { readonly window?: number; readonly factor?: number } = {},
): AlertSignal | undefined {
  const finished = runs.filter((r) => r.finishedAt !== undefined);
  const [latest, ...earlier] = finished;
  if (!latest) return undefined;
  const history = earlier.slice(0, window).map(durationMs);
  if (history.length < 3) return undefined;
  const p95 = percentile(history, 0.95);
  const took = durationMs(latest);
  const limit = p95 * factor;
  return {
    kind: 'run_duration',
    firing: took > limit,
    labels: { environment: latest.environment },
    summary: `run ${latest.id} of ${latest.environment} took ${(took / 1000).toFixed(1)} s; p95 of the last ${history.length} runs is ${(p95 / 1000).toFixed(1)} s`,
    at: latest.finishedAt as string,
  };
}

function durationMs(run: RunRecord): number {
  return Date.parse(run.finishedAt as string) - Date.parse(run.startedAt);
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] as number;
}
