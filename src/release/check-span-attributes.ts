/**
 * The span attributes a check scan reports, for metrics: how many results had each status at
 * each severity, as `slipway.checks.<status>.<severity>` (`slipway_check_results_total`), and
 * for each freshness check the newest value it saw, epoch ms, as
 * `slipway.freshness.<source|model>.<name>` (`slipway_freshness_lag_seconds`).
 */
import type { CheckResult } from '../quality/check-result.js';

type Reported = Pick<CheckResult, 'status' | 'severity'> &
  Partial<Pick<CheckResult, 'id' | 'kind' | 'target' | 'newestMs'>>;

export function checkSpanAttributes(results: readonly Reported[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = `slipway.checks.${r.status}.${r.severity}`;
    out[key] = (out[key] ?? 0) + 1;
    if (r.kind === 'freshness' && r.target && typeof r.newestMs === 'number') {
      // A source's freshness expectation becomes a check with this id suffix (project-checks.ts).
      const of = r.id?.endsWith('.source_freshness') ? 'source' : 'model';
      const at = `slipway.freshness.${of}.${r.target}`;
      out[at] = Math.max(out[at] ?? 0, r.newestMs);
    }
  }
  return out;
}

/** The results of a gate's `details`, when it is a check run summary. */
export function resultsOf(details: unknown): readonly Reported[] {
  if (typeof details !== 'object' || details === null || !('results' in details)) return [];
  const results = (details as { results: unknown }).results;
  return Array.isArray(results) ? (results as Reported[]) : [];
}
