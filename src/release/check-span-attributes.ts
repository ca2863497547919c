/**
 * The span attributes a check scan reports, for metrics (`slipway_check_results_total`): how many
 * results had each status at each severity, as `slipway.checks.<status>.<severity>`.
 */
import type { CheckResult } from '../quality/check-result.js';

export function checkSpanAttributes(
  results: readonly Pick<CheckResult, 'status' | 'severity'>[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = `slipway.checks.${r.status}.${r.severity}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** The results of a gate's `details`, when it is a check run summary. */
export function resultsOf(details: unknown): readonly Pick<CheckResult, 'status' | 'severity'>[] {
  if (typeof details !== 'object' || details === null || !('results' in details)) return [];
  const results = (details as { results: unknown }).results;
  return Array.isArray(results) ? (results as Pick<CheckResult, 'status' | 'severity'>[]) : [];
}
