/* @slipway
kind: table
tags: [marts, fraud-ops]
owner: fraud-ops@jkl.example
description: >
  Authorisations the fraud-operations team should review. Each rule adds points (card testing 40,
  amount spike 30, shared device 25, high-risk merchant 20, geo mismatch 15, 24 h velocity 10);
  a transaction scoring 40 or more raises one alert. Severity: critical from 80, high from 60,
  medium below.
columns:
  alert_id: { description: Alert id (one alert per authorisation)., checks: [not_null, unique] }
  txn_id: { description: Alerted authorisation., checks: [not_null, unique] }
  customer_id: { description: Card holder., checks: [not_null, { range: { min: 1 } }] }
  reasons: { description: Comma-separated names of the rules that fired., checks: [not_null] }
  score: { description: 0..100 rule score., checks: [not_null, { range: { min: 40, max: 100 } }] }
  severity: { description: 'medium, high or critical.', checks: [{ accepted_values: { values: [medium, high, critical] } }] }
  created_at: When the alert was raised (the authorisation's load time).
checks:
  - row_count: { min: 1, severity: warn }
*/
with rule_hits as (
  select
    txn_id,
    card_id,
    customer_id,
    merchant_id,
    amount,
    event_ts,
    loaded_at,
    coalesce(small_txn_count_1h >= 5, false) as card_testing,
    coalesce(amount_to_median >= 5 and amount >= 100, false) as amount_spike,
    coalesce(device_card_count >= 5, false) as shared_device,
    coalesce(is_high_risk_merchant, false) as high_risk_merchant,
    coalesce(is_geo_mismatch, false) as geo_mismatch,
    coalesce(txn_count_24h >= 10, false) as velocity_24h
  from int_transactions_enriched
), scored as (
  select
    *,
    least(100,
      (case when card_testing then 40 else 0 end)
      + (case when amount_spike then 30 else 0 end)
      + (case when shared_device then 25 else 0 end)
      + (case when high_risk_merchant then 20 else 0 end)
      + (case when geo_mismatch then 15 else 0 end)
      + (case when velocity_24h then 10 else 0 end)
    ) as score
  from rule_hits
)
select
  'ALR-' || txn_id::VARCHAR as alert_id,
  txn_id,
  card_id,
  customer_id,
  merchant_id,
  amount,
  event_ts,
  concat_ws(',',
    case when card_testing then 'card_testing' end,
    case when amount_spike then 'amount_spike' end,
    case when shared_device then 'shared_device' end,
    case when high_risk_merchant then 'high_risk_merchant' end,
    case when geo_mismatch then 'geo_mismatch' end,
    case when velocity_24h then 'velocity_24h' end
  ) as reasons,
  score,
  case when score >= 80 then 'critical' when score >= 60 then 'high' else 'medium' end as severity,
  loaded_at as created_at
from scored
where score >= 40
