/* @slipway
kind: table
tags: [intermediate]
owner: fraud-data-science@jkl.example
description: >
  Every authorisation with its merchant, customer, device, velocity, geography and dispute
  context: the one wide row fraud rules, reports and features are built from.
columns:
  txn_id: { description: Authorisation id., checks: [not_null, unique] }
  customer_id: { description: Card holder., checks: [not_null, { range: { min: 1 } }] }
  amount_to_median: Amount divided by the customer's median approved amount.
  is_fraud: Confirmed fraud (a fraud chargeback was reported).
*/
-- amount_to_median is rounded as DuckDB's round(double, 4) does, floor(x * 10^4 + 0.5) / 10^4, in
-- double precision (PostgreSQL has no round(double precision, n)).
select
  t.txn_id,
  t.card_id,
  t.customer_id,
  t.merchant_id,
  t.device_id,
  t.amount,
  t.currency,
  t.status,
  t.is_approved,
  t.channel,
  t.country,
  t.event_ts,
  t.event_date,
  t.loaded_at,
  m.mcc,
  m.mcc_group,
  m.merchant_region,
  c.segment,
  c.home_country,
  c.region as customer_region,
  c.signup_date,
  g.is_geo_mismatch,
  v.txn_count_1h,
  v.amount_1h,
  v.small_txn_count_1h,
  v.declined_count_1h,
  v.txn_count_24h,
  v.amount_24h,
  v.seconds_since_prev_txn,
  coalesce(d.distinct_cards, 1) as device_card_count,
  coalesce(d.is_shared, false) as is_shared_device,
  coalesce(r.merchant_risk_score, 0) as merchant_risk_score,
  coalesce(r.is_high_risk, false) as is_high_risk_merchant,
  p.median_amount as customer_median_amount,
  floor(t.amount::DOUBLE PRECISION / nullif(p.median_amount, 0) * 10000 + 0.5) / 10000 as amount_to_median,
  cb.chargeback_id is not null as has_chargeback,
  coalesce(cb.is_fraud, false) as is_fraud,
  cb.chargeback_amount
from stg_transactions t
join int_card_velocity v using (txn_id)
join int_geo_mismatch g using (txn_id)
left join stg_merchants m on m.merchant_id = t.merchant_id
left join stg_customers c on c.customer_id = t.customer_id
left join int_device_sharing d on d.device_id = t.device_id
left join int_merchant_risk r on r.merchant_id = t.merchant_id
left join int_customer_spend_profile p on p.customer_id = t.customer_id
left join stg_chargebacks cb on cb.txn_id = t.txn_id
