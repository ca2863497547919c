/**
 * Terraform JSON (`*.tf.json`) for what the project defines: a CloudWatch dashboard per
 * environment from Slipway's metric names, and the per-environment warehouse databases (Glue
 * databases, the warehouse side of infra/modules/data-platform). Pure: values in, file texts out;
 * keys are sorted so re-generating with nothing changed gives byte-identical files.
 *
 * Seam for alarms: `alarmResources(rules)` turns alert-rule definitions into
 * `aws_cloudwatch_metric_alarm` resources; the alert rules (alerts.yaml) come with the
 * observability work and are passed in by the caller.
 */
import { SLIPWAY_METRICS, SLIPWAY_METRICS_NAMESPACE } from '../core/metric-names.js';

export interface InfraEnvironment {
  readonly name: string;
  /** The environment's warehouse schema/database name. */
  readonly schema: string;
}

export interface InfraProject {
  readonly name: string;
  readonly owner: string;
  readonly region: string;
  readonly environments: readonly InfraEnvironment[];
}

/** An alert rule as the alarm seam needs it. */
export interface AlarmRuleDefinition {
  readonly name: string;
  readonly environment: string;
  readonly metric: (typeof SLIPWAY_METRICS)[keyof typeof SLIPWAY_METRICS];
  readonly statistic: 'Average' | 'Sum' | 'Maximum';
  readonly comparison: 'GreaterThanThreshold' | 'LessThanThreshold';
  readonly threshold: number;
  readonly periodSeconds: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const tfName = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');

function dashboardBody(project: InfraProject, env: InfraEnvironment): string {
  const widgets = Object.values(SLIPWAY_METRICS).map((metric, i) => ({
    type: 'metric',
    x: (i % 2) * 12,
    y: Math.floor(i / 2) * 6,
    width: 12,
    height: 6,
    properties: {
      title: metric,
      region: project.region,
      stat: metric.endsWith('_total') ? 'Sum' : 'Average',
      period: 300,
      metrics: [[SLIPWAY_METRICS_NAMESPACE, metric, 'environment', env.name]],
    },
  }));
  return stableStringify({ widgets } as unknown as Json, 0);
}

export function alarmResources(
  project: InfraProject,
  rules: readonly AlarmRuleDefinition[],
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const rule of rules) {
    out[tfName(`${rule.environment}_${rule.name}`)] = [
      {
        alarm_name: `${project.name}-${rule.environment}-${rule.name}`,
        namespace: SLIPWAY_METRICS_NAMESPACE,
        metric_name: rule.metric,
        statistic: rule.statistic,
        comparison_operator: rule.comparison,
        threshold: rule.threshold,
        period: rule.periodSeconds,
        evaluation_periods: 1,
        dimensions: { environment: rule.environment },
        tags: { environment: rule.environment, owner: project.owner },
      },
    ];
  }
  return out;
}

/** File name → Terraform JSON document, in hcl2json's shape (blocks as arrays of bodies). */
export function generateInfra(
  project: InfraProject,
  alarms: readonly AlarmRuleDefinition[] = [],
): Record<string, Record<string, Json>> {
  const files: Record<string, Record<string, Json>> = {};
  const dashboards: Record<string, Json> = {};
  const databases: Record<string, Json> = {};
  for (const env of project.environments) {
    dashboards[tfName(env.name)] = [
      { dashboard_name: `${project.name}-${env.name}`, dashboard_body: dashboardBody(project, env) },
    ];
    databases[tfName(env.name)] = [
      { name: env.schema, tags: { environment: env.name, owner: project.owner } },
    ];
  }
  files['slipway-dashboards.tf.json'] = { resource: { aws_cloudwatch_dashboard: dashboards } };
  files['slipway-warehouse.tf.json'] = { resource: { aws_glue_catalog_database: databases } };
  if (alarms.length > 0) {
    files['slipway-alarms.tf.json'] = {
      resource: { aws_cloudwatch_metric_alarm: alarmResources(project, alarms) },
    };
  }
  return files;
}

/** JSON with keys sorted at every level, so equal values give equal bytes. */
export function stableStringify(value: Json, indent = 2): string {
  const sort = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort(v[k] as Json)]),
      );
    }
    return v;
  };
  const text = JSON.stringify(sort(value), null, indent || undefined);
  return indent ? `${text}\n` : text;
}

/** Writes each generated file unless its bytes are already there; returns the files written. */
export async function writeGeneratedInfra(
  dir: string,
  files: Record<string, Record<string, Json>>,
): Promise<string[]> {
  const { mkdir, readFile, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const name of Object.keys(files).sort()) {
    const text = stableStringify(files[name] as Json);
    const path = join(dir, name);
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === text) continue;
    await writeFile(path, text);
    written.push(name);
  }
  return written;
}
