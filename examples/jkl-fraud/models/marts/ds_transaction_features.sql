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
-- log_amount is rounded as DuckDB's round(double, 6) does, floor(x * 10^6 + 0.5) / 10^6, in double
-- precision (PostgreSQL has no round(double precision, n)).
select
  txn_id,
  event_ts,
  amount::DOUBLE PRECISION as amount,
  floor(ln(1 + amount::DOUBLE PRECISION) * 1000000 + 0.5) / 1000000 as log_amount,
  extract(hour from event_ts)::BIGINT as hour_of_day,
  extract(isodow from event_ts)::BIGINT as day_of_week,
  (channel = 'ecom')::INTEGER as is_ecom,
  (channel = 'atm')::INTEGER as is_atm,
  is_approved::INTEGER as is_approved,
  txn_count_1h,
  amount_1h::DOUBLE PRECISION as amount_1h,
  small_txn_count_1h,
  declined_count_1h,
  txn_count_24h,
  amount_24h::DOUBLE PRECISION as amount_24h,
  coalesce(seconds_since_prev_txn, -1) as seconds_since_prev_txn,
  coalesce(amount_to_median, 1)::DOUBLE PRECISION as amount_to_median,
  is_geo_mismatch::INTEGER as is_geo_mismatch,
  device_card_count,
  merchant_risk_score::DOUBLE PRECISION as merchant_risk_score,
  coalesce((event_date - signup_date)::BIGINT, -1) as customer_tenure_days,
  is_fraud::INTEGER as is_fraud
from int_transactions_enriched
