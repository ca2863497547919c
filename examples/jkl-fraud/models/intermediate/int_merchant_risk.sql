/* @slipway
kind: table
tags: [intermediate, fraud-ops]
owner: fraud-ops@jkl.example
description: >
  Merchant risk from dispute history. The fraud chargeback rate is smoothed towards a 0.5% prior
  with the weight of 50 approved authorisations, so one dispute among a merchant's first few dozen
  authorisations is not enough to flag it. High risk from a smoothed rate of 2%, elevated from 1%.
columns:
  merchant_id: { description: Merchant id., checks: [not_null, unique] }
  smoothed_fraud_rate: { description: Smoothed fraud chargebacks per approved authorisation., checks: [{ range: { min: 0, max: 1 } }] }
  merchant_risk_score: { description: 0..100 risk score., checks: [not_null, { range: { min: 0, max: 100 } }] }
  is_high_risk: The merchant is on the high-risk list.
*/
-- Rounding is floor(x * 10^n + 0.5) / 10^n in double precision: DuckDB's round(double, n) on
-- these non-negative values, and PostgreSQL has no round(double precision, n).
with smoothed as (
  select
    merchant_id,
    approved_count,
    fraud_chargeback_count,
    chargeback_rate,
    (fraud_chargeback_count + 0.005 * 50)::DOUBLE PRECISION / (approved_count + 50) as smoothed_fraud_rate
  from int_merchant_stats
)
select
  merchant_id,
  approved_count,
  fraud_chargeback_count,
  chargeback_rate,
  floor(smoothed_fraud_rate * 1000000 + 0.5) / 1000000 as smoothed_fraud_rate,
  floor(least(100, 100 * smoothed_fraud_rate / 0.04) * 100 + 0.5) / 100 as merchant_risk_score,
  smoothed_fraud_rate >= 0.02 as is_high_risk,
  case
    when smoothed_fraud_rate >= 0.02 then 'high'
    when smoothed_fraud_rate >= 0.01 then 'elevated'
    else 'normal'
  end as risk_tier
from smoothed
