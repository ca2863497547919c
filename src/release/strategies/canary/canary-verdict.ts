/**
 * What a canary step's metrics decide, as Argo Rollouts' analysis does: more failed metrics than
 * the failure limit abort; otherwise an inconclusive metric pauses for a person (or aborts, when
 * the environment says `inconclusive: abort`); otherwise the canary widens. Pure.
 */
import type { CanaryMetric } from './canary-analysis.js';
import type { CanarySettings } from './canary-settings.js';

export type StepVerdict = 'widen' | 'pause' | 'abort';

export interface StepJudgement {
  readonly verdict: StepVerdict;
  readonly failed: readonly CanaryMetric[];
  readonly inconclusive: readonly CanaryMetric[];
}

/**
 * @example
 * judgeStep(metrics, { failureLimit: 0, inconclusive: 'pause' }).verdict; // 'abort' on one failure
 */
export function judgeStep(
  metrics: readonly CanaryMetric[],
  settings: Pick<CanarySettings, 'failureLimit' | 'inconclusive'>,
): StepJudgement {
  const failed = metrics.filter((m) => m.outcome === 'fail');
  const inconclusive = metrics.filter((m) => m.outcome === 'inconclusive');
  const verdict: StepVerdict =
    failed.length > settings.failureLimit
      ? 'abort'
      : inconclusive.length > 0
        ? settings.inconclusive === 'abort'
          ? 'abort'
          : 'pause'
        : 'widen';
  return { verdict, failed, inconclusive };
}

/** `fraud_alerts.changed_keys`, or `checks` for the checks. */
export function metricLabel(metric: CanaryMetric): string {
  return metric.model ? `${metric.model}.${metric.metric}` : metric.metric;
}
