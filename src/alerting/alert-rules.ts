/**
 * The parsed alert-rule model, for what turns alerts.yaml into other systems' alarms (the
 * Prometheus export here, CloudWatch alarms in `infra`). It is defined with the project's file
 * formats (`src/project/alerts-schema.ts`, which `infra` may import directly); this is the same
 * model under the alerting context's name. Stable: fields are only ever added.
 */
export type {
  AlertKind,
  AlertRuleConfig,
  AlertSeverity,
  AlertsFile,
  ChannelConfig,
} from '../project/alerts-schema.js';
export { ALERT_KINDS, SEVERITIES } from '../project/alerts-schema.js';
