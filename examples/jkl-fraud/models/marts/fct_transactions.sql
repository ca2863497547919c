/* @slipway
kind: incremental
time_column: event_ts
unique_key: txn_id
lookback: 2h
tags: [marts]
owner: fraud-data-science@jkl.example
description: >
  The transaction fact: one row per authorisation with its merchant, customer and risk context.
  Built incrementally by event time; late rows inside the 2 hour lookback are merged on txn_id.
columns:
  txn_id: { description: Authorisation id., checks: [not_null, unique] }
  customer_id: { description: Card holder., checks: [not_null, { range: { min: 1 } }] }
  amount: { description: Authorised amount., checks: [not_null, { range: { min: 0 } }] }
  status: { description: Issuer decision., checks: [{ accepted_values: { values: [approved, declined] } }] }
checks:
  - freshness: { column: event_ts, warn_after: 6h, error_after: 2d }
*/
select
  txn_id,
  card_id,
  customer_id,
  merchant_id,
  device_id,
  amount,
  currency,
  status,
  is_approved,
  channel,
  country,
  event_ts,
  event_date,
  loaded_at,
  mcc,
  mcc_group,
  merchant_region,
  customer_region,
  segment,
  is_geo_mismatch,
  is_shared_device,
  is_high_risk_merchant,
  has_chargeback,
  is_fraud,
  chargeback_amount
from int_transactions_enriched
