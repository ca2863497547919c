/**
 * CloudWatch alarms generated from alerts.yaml: the rules are parsed by the project's own alerts
 * parser, the JSON is compared with what hcl2json gives for the same alarm written in HCL, every
 * alarm queries a metric Slipway's registry really declares with the labels it really carries,
 * its actions go to the SNS topic the reference module creates, and re-generation is
 * byte-identical.
 */
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/core/errors.js';
import { SLIPWAY_METRICS } from '../../src/core/metric-names.js';
import { alarmDefinitions, METRIC_LABELS } from '../../src/infra/alarm-rules.js';
import { generateInfra, type InfraProject, stableStringify } from '../../src/infra/generate.js';
import { readTerraformTree, resourcesOf } from '../../src/infra/terraform-tree.js';
import { parseAlerts } from '../../src/project/load-alerts.js';
import { SlipwayMetrics } from '../../src/telemetry/metrics/slipway-metrics.js';

const MODULE = path.join(import.meta.dirname, '../../examples/jkl-fraud/infra/modules/data-platform');

const PROJECT: InfraProject = {
  name: 'jkl-fraud',
  owner: 'data-platform',
  region: 'eu-central-1',
  environments: [
    { name: 'dev', schema: 'dev' },
    { name: 'staging', schema: 'staging' },
    { name: 'prod', schema: 'prod' },
  ],
};
const ENVIRONMENTS = PROJECT.environments.map((e) => e.name);

const ALERTS_YAML = `channels:
  data-slack: { type: slack, webhook_url_env: SLACK_WEBHOOK_URL }
rules:
  - { name: prod-release-failed, kind: release_failed, severity: critical, owner: data-platform,
      environments: [prod], summary: A release to prod failed }
  - { name: rolled-back, kind: release_rolled_back, severity: warning, owner: data-platform,
      environments: [staging, prod] }
  - { name: run-failed, kind: run_failed, severity: warning, owner: analytics }
  - { name: slow-runs, kind: run_duration, severity: warning, owner: analytics, factor: 1.5, window: 20 }
  - { name: gate, kind: check_failed, severity: critical, owner: data-platform }
`;

function rules() {
  const diagnostics: Diagnostic[] = [];
  const alerts = parseAlerts(ALERTS_YAML, ENVIRONMENTS, diagnostics);
  expect(diagnostics).toEqual([]);
  return alarmDefinitions(ENVIRONMENTS, alerts);
}

interface AlarmBody {
  alarm_name: string;
  metric_query: { expression: string; period: number }[];
  alarm_actions: string[];
  ok_actions: string[];
  tags: Record<string, string>;
}

function alarmsDoc() {
  const { alarms } = rules();
  const doc = generateInfra(PROJECT, alarms)['slipway-alarms.tf.json'] as unknown as {
    data: { aws_sns_topic: Record<string, [{ name: string }]> };
    resource: { aws_cloudwatch_metric_alarm: Record<string, [AlarmBody]> };
  };
  return doc;
}

describe('slipway infra generate: CloudWatch alarms from alerts.yaml', () => {
  it('makes one alarm per rule and environment it covers, and says which rules it cannot express', () => {
    const { alarms, skipped } = rules();
    expect(alarms.map((a) => `${a.environment}/${a.name}`).sort()).toEqual([
      'dev/run-failed',
      'prod/prod-release-failed',
      'prod/rolled-back',
      'prod/run-failed',
      'staging/rolled-back',
      'staging/run-failed',
    ]);
    expect(skipped.map((s) => [s.rule, s.kind])).toEqual([
      ['slow-runs', 'run_duration'],
      ['gate', 'check_failed'],
    ]);
    for (const s of skipped) expect(s.reason.length).toBeGreaterThan(10);
    const doc = alarmsDoc();
    expect(Object.keys(doc.resource.aws_cloudwatch_metric_alarm).sort()).toEqual([
      'dev_run_failed',
      'prod_prod_release_failed',
      'prod_rolled_back',
      'prod_run_failed',
      'staging_rolled_back',
      'staging_run_failed',
    ]);
  });

  it('is the shape hcl2json gives the same alarm written in HCL', async () => {
    const doc = alarmsDoc();
    const hcl = `data "aws_sns_topic" "prod" {
  name = "jkl-fraud-prod-alerts"
}

resource "aws_cloudwatch_metric_alarm" "prod_prod_release_failed" {
  alarm_name          = "jkl-fraud-prod-prod-release-failed"
  alarm_description   = "A release to prod failed (severity critical, owner data-platform; slipway alerts.yaml rule prod-release-failed)"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [data.aws_sns_topic.prod.arn]
  ok_actions          = [data.aws_sns_topic.prod.arn]

  metric_query {
    id          = "q1"
    expression  = "SELECT SUM(slipway_releases_total) FROM SCHEMA(\\"Slipway\\", environment, kind, outcome) WHERE environment = 'prod' AND outcome = 'failed'"
    period      = 300
    return_data = true
  }

  tags = {
    environment = "prod"
    owner       = "data-platform"
    severity    = "critical"
  }
}
`;
    const parsed = (await parse('alarms.tf', hcl)) as typeof doc;
    expect(doc.resource.aws_cloudwatch_metric_alarm['prod_prod_release_failed']).toEqual(
      parsed.resource.aws_cloudwatch_metric_alarm['prod_prod_release_failed'],
    );
    expect(doc.data.aws_sns_topic['prod']).toEqual(parsed.data.aws_sns_topic['prod']);
  });

  it('queries only metrics the registry declares, with the labels it declares and the rule pins', () => {
    const registry = new SlipwayMetrics({ processMetrics: false }).registry;
    const exported = new Set<string>(Object.values(SLIPWAY_METRICS));
    const { alarms } = rules();
    const doc = alarmsDoc();
    for (const alarm of alarms) {
      expect(exported.has(alarm.metric)).toBe(true);
      const declared = registry.getSingleMetric(alarm.metric) as unknown as { labelNames: string[] };
      expect([...(METRIC_LABELS[alarm.metric] ?? [])].sort()).toEqual([...declared.labelNames].sort());
      const [body] =
        doc.resource.aws_cloudwatch_metric_alarm[`${alarm.environment}_${alarm.name.replace(/-/g, '_')}`] ??
        [];
      const expression = body?.metric_query[0]?.expression ?? '';
      const m = /^SELECT SUM\((\w+)\) FROM SCHEMA\("Slipway", ([\w, ]+)\) WHERE (.+)$/.exec(expression);
      expect(m?.[1]).toBe(alarm.metric);
      expect(m?.[2]?.split(', ')).toEqual(declared.labelNames);
      const where = Object.fromEntries(
        (m?.[3] ?? '').split(' AND ').map((c) => {
          const [k, v] = c.split(' = ');
          return [k, v?.slice(1, -1)];
        }),
      );
      expect(where).toEqual({ environment: alarm.environment, ...alarm.where });
      for (const label of Object.keys(where)) expect(declared.labelNames).toContain(label);
      expect(body?.tags).toEqual({
        environment: alarm.environment,
        owner: 'data-platform',
        severity: alarm.severity,
      });
    }
    const failed = alarms.find((a) => a.name === 'run-failed');
    expect(failed?.where).toEqual({ outcome: 'failed' });
  });

  it('notifies the SNS alert topic the data-platform module creates for the environment', async () => {
    const tree = await readTerraformTree(MODULE);
    const topic = resourcesOf(tree).find((r) => r.type === 'aws_sns_topic' && r.name === 'alerts');
    const main = tree.files.find((f) => f.path === 'main.tf')?.body as {
      locals: [{ name: string }];
    };
    const localName = main.locals[0].name;
    const nameIn = (environment: string) =>
      String(topic?.body['name'])
        .replace(`\${local.name}`, localName)
        .replace(`\${var.environment}`, environment);
    const doc = alarmsDoc();
    expect(Object.keys(doc.data.aws_sns_topic).sort()).toEqual(['dev', 'prod', 'staging']);
    for (const [env, [lookup]] of Object.entries(doc.data.aws_sns_topic)) {
      expect(lookup.name).toBe(nameIn(env));
    }
    for (const [key, [alarm]] of Object.entries(doc.resource.aws_cloudwatch_metric_alarm)) {
      const env = key.slice(0, key.indexOf('_'));
      expect(alarm.alarm_actions).toEqual([`\${data.aws_sns_topic.${env}.arn}`]);
      expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
    }
  });

  it('re-generates byte-identically, and writes no alarms file without alarmable rules', () => {
    const text = () =>
      Object.entries(generateInfra(PROJECT, rules().alarms)).map(([n, d]) => n + stableStringify(d));
    expect(text()).toEqual(text());
    expect(
      Object.keys(generateInfra(PROJECT, alarmDefinitions(ENVIRONMENTS, undefined).alarms)),
    ).not.toContain('slipway-alarms.tf.json');
  });
});
