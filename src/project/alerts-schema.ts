/**
 * `alerts.yaml`: the project's alert rules and the channels they notify. Read and validated with
 * the rest of the project (every problem at `file:line:col`); evaluated by the operator
 * (src/alerting/) and exported as Prometheus alerting rules and CloudWatch alarms. Channel
 * secrets are never in the file: it names the environment variables that hold them.
 */
import { z } from 'zod';
import { duration } from './schemas.js';

export const ALERTS_FILE = 'alerts.yaml';

const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as SLACK_WEBHOOK_URL');
const ruleName = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, - and _');

export const ALERT_KINDS = [
  'release_failed',
  'release_rolled_back',
  'verification_failed',
  'check_failed',
  'run_failed',
  'source_freshness',
  'run_duration',
  'warehouse_growth',
  'operator_degraded',
  'cpu_spike',
  'memory_spike',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof SEVERITIES)[number];

const ruleSchema = z
  .object({
    name: ruleName,
    kind: z.enum(ALERT_KINDS),
    severity: z.enum(SEVERITIES),
    owner: z.string().min(1).describe('the team or person who answers this alert'),
    summary: z.string().min(1).optional(),
    environments: z.array(z.string().min(1)).min(1).optional().describe('default: every environment'),
    channels: z.array(z.string().min(1)).min(1).optional().describe('default: every channel'),
    /** run_duration: fire when a run takes longer than `factor` × the p95 of the last `window` runs. */
    factor: z.number().positive().optional(),
    window: z.number().int().min(3).max(1000).optional(),
    /** warehouse_growth: fire when the warehouse grows more than `percent` within `over`. */
    percent: z.number().positive().optional(),
    over: duration.optional(),
    /** cpu_spike: percent of one core; memory_spike: resident set size in MiB. */
    threshold: z.number().positive().optional(),
    /** source_freshness: the freshness check's lag that fires; default the check's error_after. */
    max_lag: duration.optional(),
    /** How long the condition must hold before it fires (cpu, memory). */
    for: duration.optional(),
  })
  .strict();

const channelSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('slack'), webhook_url_env: envName }).strict(),
  z
    .object({
      type: z.literal('email'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535),
      secure: z.boolean().optional(),
      from: z.string().min(3),
      to: z.array(z.string().min(3)).min(1),
      user: z.string().min(1).optional(),
      password_env: envName.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('pagerduty'),
      routing_key_env: envName,
      url: z.url().optional().describe('default https://events.pagerduty.com/v2/enqueue'),
    })
    .strict(),
  z.object({ type: z.literal('webhook'), url: z.url(), secret_env: envName }).strict(),
  z.object({ type: z.literal('alertmanager'), url: z.url() }).strict(),
]);

export const alertsFileSchema = z
  .object({
    group_by: z
      .array(z.enum(['rule', 'environment', 'severity', 'owner']))
      .min(1)
      .optional()
      .describe('labels alerts are grouped by into one notification (default rule, environment)'),
    group_wait: duration.optional().describe('wait this long for more alerts of a new group (default 0s)'),
    repeat_interval: duration.optional().describe('notify a still-firing alert again after (default 4h)'),
    channels: z.record(ruleName, channelSchema),
    rules: z.array(ruleSchema).min(1),
  })
  .strict();

export type AlertsFile = z.infer<typeof alertsFileSchema>;
export type AlertRuleConfig = z.infer<typeof ruleSchema>;
export type ChannelConfig = z.infer<typeof channelSchema>;
