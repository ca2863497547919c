/**
 * Terraform JSON (`*.tf.json`) for what the project defines: a CloudWatch dashboard per
 * environment from Slipway's metric names, and the per-environment warehouse databases (Glue
 * databases, the warehouse side of infra/modules/data-platform). Pure: values in, file texts out;
 * keys are sorted so re-generating with nothing changed gives byte-identical files.
 *
 * CloudWatch alarms: `alarmResources` turns the alarm definitions `alarmDefinitions` reads from
 * alerts.yaml into `aws_cloudwatch_metric_alarm` resources whose actions notify the SNS alert
 * topic infra/modules/data-platform creates (`<project>-<environment>-alerts`, looked up by name).
 */
import { SLIPWAY_METRICS, SLIPWAY_METRICS_NAMESPACE } from '../core/metric-names.js';
import { type AlarmRuleDefinition, METRIC_LABELS } from './alarm-rules.js';

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

/** The SNS topic the data-platform module creates for an environment (alerts.tf). */
export function alertTopicName(project: Pick<InfraProject, 'name'>, environment: string): string {
  return `${project.name}-${environment}-alerts`;
}

const quoteSql = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * A CloudWatch Metrics Insights query for the alarm: the metric's full label set as the schema
 * (the ADOT collector publishes the labels as dimensions; a plain metric alarm would have to
 * name every dimension value, and `release_failed` spans release kinds), filtered on the labels
 * the rule pins.
 */
export function alarmQuery(alarm: AlarmRuleDefinition): string {
  const labels = METRIC_LABELS[alarm.metric] ?? ['environment'];
  const where: Record<string, string> = { environment: alarm.environment, ...alarm.where };
  const conditions = Object.keys(where)
    .sort()
    .map((k) => `${k} = ${quoteSql(where[k] ?? '')}`)
    .join(' AND ');
  return `SELECT ${alarm.statistic}(${alarm.metric}) FROM SCHEMA("${SLIPWAY_METRICS_NAMESPACE}", ${labels.join(', ')}) WHERE ${conditions}`;
}

export function alarmResources(
  project: InfraProject,
  alarms: readonly AlarmRuleDefinition[],
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const alarm of alarms) {
    const topic = `\${data.aws_sns_topic.${tfName(alarm.environment)}.arn}`;
    out[tfName(`${alarm.environment}_${alarm.name}`)] = [
      {
        alarm_name: `${project.name}-${alarm.environment}-${alarm.name}`,
        alarm_description: `${alarm.summary} (severity ${alarm.severity}, owner ${alarm.owner}; slipway alerts.yaml rule ${alarm.name})`,
        comparison_operator: alarm.comparison,
        threshold: alarm.threshold,
        evaluation_periods: 1,
        treat_missing_data: 'notBreaching',
        metric_query: [
          { id: 'q1', expression: alarmQuery(alarm), period: alarm.periodSeconds, return_data: true },
        ],
        alarm_actions: [topic],
        ok_actions: [topic],
        tags: { environment: alarm.environment, owner: project.owner, severity: alarm.severity },
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
    const topics: Record<string, Json> = {};
    for (const env of [...new Set(alarms.map((a) => a.environment))].sort()) {
      topics[tfName(env)] = [{ name: alertTopicName(project, env) }];
    }
    files['slipway-alarms.tf.json'] = {
      data: { aws_sns_topic: topics },
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
