/**
 * What a check run reports, and the pure rules that turn measured numbers into a status:
 * thresholds fail only when strictly exceeded, `warn` severity turns a failure into a warning,
 * and a check that could not run is an `error`.
 */
import type { SourcePosition } from '../core/errors.js';
import type { CheckDeclaration } from '../project/project.js';
import type { CheckKind } from '../project/schemas.js';
import type { Row } from '../warehouse/warehouse.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'error';

export interface CheckResult {
  readonly id: string;
  readonly kind: CheckKind;
  readonly target: string;
  readonly column: string | undefined;
  readonly severity: 'error' | 'warn';
  readonly tags: readonly string[];
  readonly position: SourcePosition;
  readonly status: CheckStatus;
  /** Rows that failed (for row checks), or problems found (schema); undefined when not a count. */
  readonly failingRows: number | undefined;
  /** Rows the check looked at (after its `where`). */
  readonly totalRows: number | undefined;
  /** Keys that repeat (uniqueness checks; `failingRows` counts every row carrying one). */
  readonly repeatedKeys?: number;
  /** failingRows as a percentage of totalRows (0 for an empty relation). */
  readonly failingPercent: number | undefined;
  /** One line a person can read: what was measured against what was expected. */
  readonly message: string;
  /** Up to N failing rows (only for checks that failed). */
  readonly samples: readonly Row[];
  /** The statement that measured the check (values shown inline, for reading only). */
  readonly sql: string;
  /** Time of the query that measured it (shared by the checks of one scan). */
  readonly durationMs: number;
  /** Freshness checks: the newest value of the time column, epoch ms (for the lag metric). */
  readonly newestMs?: number;
}

/** True when an error-severity check failed or could not run: what blocks a release. */
export function isBlocking(result: CheckResult): boolean {
  return result.status === 'fail' || (result.status === 'error' && result.severity === 'error');
}

export interface Threshold {
  readonly rows?: number;
  readonly percent?: number;
}

/** Whether `failing` of `total` rows breaks the check: above the threshold, never at it. */
export function exceedsThreshold(failing: number, total: number, threshold: Threshold | undefined): boolean {
  if (threshold?.rows !== undefined) return failing > threshold.rows;
  // failing/total > p/100, without floating-point division at the limit.
  if (threshold?.percent !== undefined) return failing * 100 > threshold.percent * total;
  return failing > 0;
}

export function failedStatus(check: Pick<CheckDeclaration, 'severity'>): CheckStatus {
  return check.severity === 'warn' ? 'warn' : 'fail';
}

export function percentOf(failing: number, total: number): number {
  return total === 0 ? 0 : (failing * 100) / total;
}

export function baseResult(
  check: CheckDeclaration,
): Pick<CheckResult, 'id' | 'kind' | 'target' | 'column' | 'severity' | 'tags' | 'position'> {
  const tags = check.params['tags'];
  return {
    id: check.id,
    kind: check.kind,
    target: check.target,
    column: check.column,
    severity: check.severity,
    tags: Array.isArray(tags) ? tags.map(String) : [],
    position: check.position,
  };
}
