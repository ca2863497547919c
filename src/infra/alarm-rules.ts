/**
 * Which of a project's alert rules (alerts.yaml) CloudWatch can watch, and how: a rule becomes one
 * alarm per environment it covers when its condition is a threshold on a metric Slipway exports
 * (`core/metric-names.ts`). Rules whose condition is not such a threshold (a p95 comparison, the
 * operator's own health, a freshness lag Slipway exports no metric for) stay with the operator's
 * evaluator, and come back in `skipped` with the reason, so `infra generate` can say so.
 */
import { SLIPWAY_METRICS } from '../core/metric-names.js';
import type { AlertKind, AlertRuleConfig, AlertsFile } from '../project/alerts-schema.js';

type MetricName = (typeof SLIPWAY_METRICS)[keyof typeof SLIPWAY_METRICS];

/**
 * The labels each alarmable metric carries (`telemetry/metrics/slipway-metrics.ts`); the ADOT
 * collector publishes them as CloudWatch dimensions, and the alarm's query names the full set.
 */
export const METRIC_LABELS: Readonly<Partial<Record<MetricName, readonly string[]>>> = {
  [SLIPWAY_METRICS.releases]: ['environment', 'kind', 'outcome'],
  [SLIPWAY_METRICS.runs]: ['environment', 'outcome'],
};

/** One CloudWatch alarm: `statistic(metric) where labels > threshold` over `periodSeconds`. */
export interface AlarmRuleDefinition {
  readonly name: string;
  readonly environment: string;
  readonly metric: MetricName;
  /** Label values the query filters on, besides the environment. */
  readonly where: Readonly<Record<string, string>>;
  readonly statistic: 'SUM' | 'MAX' | 'AVG';
  readonly comparison: 'GreaterThanThreshold' | 'LessThanThreshold';
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly severity: string;
  readonly owner: string;
  readonly summary: string;
}

export interface SkippedRule {
  readonly rule: string;
  readonly kind: AlertKind;
  readonly reason: string;
}

interface Counted {
  readonly metric: MetricName;
  readonly where: Readonly<Record<string, string>>;
  readonly what: string;
}

/** Kinds that are "this counter went up": any increase within five minutes fires. */
const COUNTED: Partial<Record<AlertKind, Counted>> = {
  release_failed: {
    metric: SLIPWAY_METRICS.releases,
    where: { outcome: 'failed' },
    what: 'a release failed',
  },
  release_rolled_back: {
    metric: SLIPWAY_METRICS.releases,
    where: { kind: 'rollback', outcome: 'succeeded' },
    what: 'a release was rolled back',
  },
  run_failed: { metric: SLIPWAY_METRICS.runs, where: { outcome: 'failed' }, what: 'a run failed' },
};

const NOT_ALARMABLE: Record<AlertKind, string> = {
  release_failed: '',
  release_rolled_back: '',
  run_failed: '',
  verification_failed: 'Slipway exports verification as a duration histogram, not a failure count',
  check_failed: 'check results carry no environment label, so no alarm can tell the environments apart',
  source_freshness: 'Slipway exports no freshness-lag metric',
  run_duration: 'it compares a run with the p95 of earlier runs, which a CloudWatch threshold cannot',
  warehouse_growth: 'it compares warehouse size over time, which a CloudWatch threshold cannot',
  operator_degraded: 'it is the operator watching itself',
  cpu_spike: 'process metrics are not in the exported metric list (core/metric-names.ts)',
  memory_spike: 'process metrics are not in the exported metric list (core/metric-names.ts)',
};

/**
 * @example
 * const { alarms, skipped } = alarmDefinitions(['dev', 'prod'], project.alerts);
 * // alarms: [{ name: 'prod-release-failed', environment: 'prod', metric: 'slipway_releases_total', … }]
 */
export function alarmDefinitions(
  environments: readonly string[],
  alerts: AlertsFile | undefined,
): { readonly alarms: AlarmRuleDefinition[]; readonly skipped: SkippedRule[] } {
  const alarms: AlarmRuleDefinition[] = [];
  const skipped: SkippedRule[] = [];
  for (const rule of alerts?.rules ?? []) {
    const counted = COUNTED[rule.kind];
    if (!counted) {
      skipped.push({ rule: rule.name, kind: rule.kind, reason: NOT_ALARMABLE[rule.kind] });
      continue;
    }
    for (const environment of rule.environments ?? environments) {
      alarms.push(alarmFor(rule, environment, counted));
    }
  }
  return { alarms, skipped };
}

function alarmFor(rule: AlertRuleConfig, environment: string, counted: Counted): AlarmRuleDefinition {
  return {
    name: rule.name,
    environment,
    metric: counted.metric,
    where: counted.where,
    statistic: 'SUM',
    comparison: 'GreaterThanThreshold',
    threshold: 0,
    periodSeconds: 300,
    severity: rule.severity,
    owner: rule.owner,
    summary: rule.summary ?? `${counted.what} in ${environment}`,
  };
}
