/**
 * An environment's canary settings as the release reads them: slipway.yaml's `canary:` with its
 * defaults filled in, the steps in basis points, and the column that carries the key in each
 * source (sources without one are read whole).
 */
import { parseDuration } from '../../../core/duration.js';
import { InvalidArgumentError } from '../../../core/errors.js';
import type { Project } from '../../../project/project.js';

export interface CanaryMetricSetting {
  readonly name: string;
  readonly model: string;
  readonly sql: string;
  /** A fraction: 0.01 for `1%`. */
  readonly tolerance: number;
}

export interface CanarySettings {
  readonly key: string;
  /** Source name → the column carrying the key; sources absent here are read whole. */
  readonly keyColumns: ReadonlyMap<string, string>;
  /** Each step's share of keys in basis points (of 10,000), increasing, the last 10,000. */
  readonly steps: readonly number[];
  readonly intervalMs: number;
  readonly checks: boolean;
  /** A fraction: how far a metric may move when no change is expected. */
  readonly tolerance: number;
  readonly minRows: number;
  readonly failureLimit: number;
  readonly metrics: readonly CanaryMetricSetting[];
  readonly inconclusive: 'pause' | 'abort';
}

export const DEFAULT_STEPS = [5, 25, 100] as const;
export const DEFAULT_TOLERANCE = 0.005;
export const DEFAULT_MIN_ROWS = 20;

/** `1.5%` → 0.015. */
export function fraction(percentText: string): number {
  return Number.parseFloat(percentText) / 100;
}

/**
 * @example
 * canarySettings(project, 'prod').steps; // [500, 2500, 10000]
 */
export function canarySettings(project: Project, environment: string): CanarySettings {
  const config = project.config.environments[environment]?.canary;
  if (!config) {
    throw new InvalidArgumentError(`environment '${environment}' has no canary settings`, {
      hint: `add \`canary: { key: customer_id }\` to environments.${environment} in slipway.yaml (docs/canary.md)`,
    });
  }
  const keyColumns = new Map<string, string>();
  for (const source of project.sources.values()) {
    const declared = config.key_columns?.[source.name];
    if (declared) keyColumns.set(source.name, declared);
    else if (source.columns.some((c) => c.name === config.key)) keyColumns.set(source.name, config.key);
  }
  const analysis = config.analysis ?? {};
  return {
    key: config.key,
    keyColumns,
    steps: (config.steps ?? DEFAULT_STEPS).map((percent) => Math.round(percent * 100)),
    intervalMs: config.interval ? (parseDuration(config.interval) ?? 0) : 0,
    checks: analysis.checks ?? true,
    tolerance: analysis.tolerance ? fraction(analysis.tolerance) : DEFAULT_TOLERANCE,
    minRows: analysis.min_rows ?? DEFAULT_MIN_ROWS,
    failureLimit: analysis.failure_limit ?? 0,
    metrics: (analysis.metrics ?? []).map((m, index) => ({
      name: m.name ?? `metric_${index + 1}`,
      model: m.model,
      sql: m.sql,
      tolerance: fraction(m.tolerance),
    })),
    inconclusive: config.inconclusive ?? 'pause',
  };
}
