/**
 * Post-deploy verification, judged: the pure rules that turn what was measured on a live
 * environment — its checks, and each changed model's row count against the release before —
 * into a verdict. Measuring is `verifyEnvironment`'s job; deciding lives here, so it is tested
 * without a database and reads like the policy in slipway.yaml (`verify:`).
 */
import type { CheckResult } from '../quality/check-result.js';

/** An environment's `verify:` block, resolved (`verifyPolicy`). */
export interface VerifyPolicy {
  /** Run the error-severity checks of the environment's models on its live views. */
  readonly checks: boolean;
  /** The largest row-count change a changed model may show, in percent; undefined: no bound. */
  readonly maxRowChangePercent: number | undefined;
  /** How long after the switch to verify. */
  readonly delayMs: number;
  /** Roll back to the release before when verification fails (else only report). */
  readonly rollback: boolean;
}

/** A model whose table the release changed: its rows in the release before and now. */
export interface RowCount {
  readonly model: string;
  /** Rows of the previous release's table; undefined when that table no longer exists. */
  readonly before: number | undefined;
  readonly after: number;
}

export interface VerificationMeasurements {
  /** Results of the checks that ran; undefined when checks were not asked for. */
  readonly checks: readonly Pick<CheckResult, 'id' | 'severity' | 'status' | 'message'>[] | undefined;
  readonly rowCounts: readonly RowCount[];
}

export interface VerificationFailure {
  readonly kind: 'check' | 'row_change';
  /** The check id or the model. */
  readonly subject: string;
  readonly message: string;
}

export interface VerificationVerdict {
  readonly passed: boolean;
  readonly failures: readonly VerificationFailure[];
  /** One line for the event log, the status and the rollback's reason. */
  readonly summary: string;
}

/**
 * The relative change from `before` to `after` rows, in percent (always ≥ 0). An empty table that
 * stays empty did not change; rows appearing in an empty table is an unbounded change.
 *
 * @example rowChangePercent(1000, 200) // 80
 */
export function rowChangePercent(before: number, after: number): number {
  if (before === after) return 0;
  if (before === 0) return Number.POSITIVE_INFINITY;
  return (Math.abs(after - before) * 100) / before;
}

/**
 * Verification passes when no error-severity check failed or could not run, and no changed
 * model's row count moved by more than the bound (a change exactly at the bound passes, as
 * check thresholds do). A model whose previous table is gone is not judged on rows.
 *
 * @example
 * judgeVerification(
 *   { checks: true, maxRowChangePercent: 50, delayMs: 0, rollback: true },
 *   { checks: [], rowCounts: [{ model: 'fraud_alerts', before: 1000, after: 200 }] },
 * ).summary; // 'fraud_alerts rows 1,000 → 200 (−80%, bound 50%)'
 */
export function judgeVerification(
  policy: VerifyPolicy,
  measured: VerificationMeasurements,
): VerificationVerdict {
  const failures: VerificationFailure[] = [];
  const checks = policy.checks ? (measured.checks ?? []) : [];
  for (const result of checks) {
    // What blocks a release gate blocks here too (`isBlocking`): a failure, or an error-severity
    // check that could not run.
    const blocking = result.status === 'fail' || (result.status === 'error' && result.severity === 'error');
    if (!blocking) continue;
    failures.push({
      kind: 'check',
      subject: result.id,
      message: `check ${result.id} ${result.status === 'fail' ? 'failed' : 'could not run'}: ${result.message}`,
    });
  }
  const bound = policy.maxRowChangePercent;
  const judged = measured.rowCounts.filter((r): r is RowCount & { before: number } => r.before !== undefined);
  if (bound !== undefined) {
    for (const r of judged) {
      const change = rowChangePercent(r.before, r.after);
      if (change > bound) {
        failures.push({
          kind: 'row_change',
          subject: r.model,
          message: `${r.model} rows ${count(r.before)} → ${count(r.after)} (${signedChange(r.before, r.after)}, bound ${percent(bound)})`,
        });
      }
    }
  }
  if (failures.length > 0) {
    const shown = failures.slice(0, 3).map((f) => f.message);
    const more = failures.length > 3 ? `; and ${failures.length - 3} more` : '';
    return { passed: false, failures, summary: `${shown.join('; ')}${more}` };
  }
  const parts: string[] = [];
  if (policy.checks) parts.push(`${checks.length} check${checks.length === 1 ? '' : 's'} passed`);
  if (bound !== undefined) {
    const widest = judged
      .map((r) => ({ r, change: rowChangePercent(r.before, r.after) }))
      .filter((w) => w.change > 0)
      .sort((a, b) => b.change - a.change)[0];
    parts.push(
      judged.length === 0
        ? 'no changed model to compare rows with'
        : `${judged.length} changed model${judged.length === 1 ? '' : 's'} within ${percent(bound)} rows${
            widest ? ` (largest: ${widest.r.model} ${signedChange(widest.r.before, widest.r.after)})` : ''
          }`,
    );
  }
  return { passed: true, failures, summary: parts.length > 0 ? parts.join('; ') : 'nothing to verify' };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function percent(p: number): string {
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

function signedChange(before: number, after: number): string {
  if (before === 0) return after === 0 ? '0%' : 'from none';
  const change = rowChangePercent(before, after);
  return `${after < before ? '−' : '+'}${percent(Math.round(change * 10) / 10)}`;
}
