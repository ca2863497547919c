/**
 * Rule-based customer risk score for fraud operations and analysts. The rules live in TypeScript
 * so they can be reviewed, tested and reused (see lib/risk-rules.ts); the model compiles them to a
 * single SELECT. The "big spender" threshold is data-driven: the 90th percentile of the customers'
 * 95th-percentile amounts, read from the warehouse at build time. The SQL runs on DuckDB and
 * PostgreSQL alike.
 */
import { defineModel } from 'slipway';
import { compileRiskReasons, compileRiskScore, type RiskRule } from '../../lib/risk-rules.js';
import { compileSeverityCase, type SeverityBand } from '../../lib/severity-bands.js';

const BANDS: readonly SeverityBand[] = [
  { label: 'low', min: 0 },
  { label: 'medium', min: 20 },
  { label: 'high', min: 50 },
  { label: 'critical', min: 80 },
];

function customerRules(bigSpenderAmount: number): readonly RiskRule[] {
  return [
    { name: 'fraud_chargeback', column: 'fraud_chargeback_count', op: '>=', value: 1, weight: 40 },
    { name: 'high_chargeback_rate', column: 'chargeback_rate', op: '>=', value: 0.02, weight: 20 },
    { name: 'repeated_alerts', column: 'alert_count', op: '>=', value: 3, weight: 25 },
    { name: 'critical_alert', column: 'critical_alert_count', op: '>=', value: 1, weight: 15 },
    { name: 'many_countries', column: 'countries_used', op: '>=', value: 3, weight: 10 },
    { name: 'big_spender', column: 'p95_amount', op: '>=', value: bigSpenderAmount, weight: 10 },
  ];
}

/**
 * SQL for the `q` percentile of a DECIMAL(p, 2) column as DuckDB's quantile_cont computes it (the
 * lower value plus the interpolated step to the next, truncated to cents), spelled out so that
 * PostgreSQL, which interpolates in double precision, gives the same threshold.
 */
function decimalPercentile(column: string, q: number, relation: string): string {
  const at = `floor(at_index)`;
  const low = `min(${column}) filter (where value_index = ${at})`;
  const high = `min(${column}) filter (where value_index = ceil(at_index))`;
  return `
with ranked as (
  select
    ${column},
    row_number() over (order by ${column}) - 1 as value_index,
    (count(*) over () - 1) * ${q}::DOUBLE PRECISION as at_index
  from ${relation}
  where ${column} is not null
)
select (${low} + trunc((${high} - ${low}) * 100 * min(at_index - ${at}))::BIGINT * 0.01)::DOUBLE PRECISION as threshold
from ranked`;
}

export default defineModel({
  name: 'customer_risk_scores',
  kind: 'table',
  inputs: ['int_customer_spend_profile', 'int_chargeback_rates', 'fraud_alerts'],
  description:
    'Rule-based customer risk score (0..100), band and the rules that fired, one row per customer.',
  tags: ['marts', 'fraud-ops'],
  owner: 'fraud-ops@jkl.example',
  async build({ ref, sql }) {
    const profile = ref('int_customer_spend_profile');
    const [row] = await sql(decimalPercentile('p95_amount', 0.9, profile));
    const threshold = Number(row?.['threshold']);
    const rules = customerRules(Number.isFinite(threshold) ? Math.round(threshold * 100) / 100 : 1_000_000);
    const score = compileRiskScore(rules);
    return `
with alerts as (
  select customer_id, count(*) as alert_count, count(*) filter (where severity = 'critical') as critical_alert_count
  from ${ref('fraud_alerts')}
  group by customer_id
), inputs as (
  select
    r.customer_id,
    coalesce(p.approved_txn_count, 0) as approved_txn_count,
    p.p95_amount,
    coalesce(p.countries_used, 0) as countries_used,
    r.chargeback_count,
    r.fraud_chargeback_count,
    r.chargeback_rate,
    coalesce(a.alert_count, 0) as alert_count,
    coalesce(a.critical_alert_count, 0) as critical_alert_count
  from ${ref('int_chargeback_rates')} r
  left join ${profile} p using (customer_id)
  left join alerts a using (customer_id)
), scored as (
  select *, ${score} as risk_score, ${compileRiskReasons(rules)} as risk_reasons
  from inputs
)
select *, ${compileSeverityCase('risk_score', BANDS, 'low')} as risk_band
from scored`;
  },
});
