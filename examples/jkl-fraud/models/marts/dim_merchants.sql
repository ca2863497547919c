/* @slipway
kind: table
tags: [marts, dims]
owner: analytics@jkl.example
description: Merchants with lifetime activity, dispute statistics and risk tier.
columns:
  merchant_id: { description: Merchant id., checks: [not_null, unique] }
  risk_tier: { description: 'normal, elevated or high.', checks: [{ accepted_values: { values: [normal, elevated, high] } }] }
*/
select
  m.merchant_id,
  m.merchant_name,
  m.mcc,
  m.mcc_group,
  m.merchant_country,
  m.merchant_region,
  coalesce(s.txn_count, 0) as txn_count,
  coalesce(s.total_amount, 0) as total_amount,
  coalesce(s.chargeback_count, 0) as chargeback_count,
  coalesce(s.chargeback_rate, 0) as chargeback_rate,
  coalesce(r.merchant_risk_score, 0) as merchant_risk_score,
  coalesce(r.risk_tier, 'normal') as risk_tier
from stg_merchants m
left join int_merchant_stats s using (merchant_id)
left join int_merchant_risk r using (merchant_id)
