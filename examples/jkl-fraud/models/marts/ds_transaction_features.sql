/* @slipway
kind: table
tags: [marts, data-science]
owner: fraud-data-science@jkl.example
description: >
  The model-training table: one row per authorisation with numeric features and the label
  is_fraud (1 when a fraud chargeback was reported). event_ts is kept for time-based splits.
columns:
  txn_id: { description: Authorisation id., checks: [not_null, unique] }
  is_fraud: { description: 'Label, 1 for confirmed fraud.', checks: [not_null, { accepted_values: { values: [0, 1] } }] }
  log_amount: ln(1 + amount).
  amount_to_median: Amount relative to the customer's median approved amount (1 when unknown).
*/
select
  txn_id,
  event_ts,
  amount::DOUBLE as amount,
  round(ln(1 + amount::DOUBLE), 6) as log_amount,
  hour(event_ts) as hour_of_day,
  isodow(event_ts) as day_of_week,
  (channel = 'ecom')::INTEGER as is_ecom,
  (channel = 'atm')::INTEGER as is_atm,
  is_approved::INTEGER as is_approved,
  txn_count_1h,
  amount_1h::DOUBLE as amount_1h,
  small_txn_count_1h,
  declined_count_1h,
  txn_count_24h,
  amount_24h::DOUBLE as amount_24h,
  coalesce(seconds_since_prev_txn, -1) as seconds_since_prev_txn,
  coalesce(amount_to_median, 1)::DOUBLE as amount_to_median,
  is_geo_mismatch::INTEGER as is_geo_mismatch,
  device_card_count,
  merchant_risk_score::DOUBLE as merchant_risk_score,
  coalesce(date_diff('day', signup_date, event_date), -1) as customer_tenure_days,
  is_fraud::INTEGER as is_fraud
from int_transactions_enriched
