/* @slipway
kind: table
tags: [marts, dims]
owner: analytics@jkl.example
description: Customers (latest version) with their spending profile and dispute history.
columns:
  customer_id: { description: Card holder., checks: [not_null, unique, { range: { min: 1 } }] }
  approved_txn_count: Approved authorisations (0 when the customer never transacted).
*/
select
  c.customer_id,
  c.name,
  c.segment,
  c.home_country,
  c.region,
  c.signup_date,
  c.updated_at,
  coalesce(p.approved_txn_count, 0) as approved_txn_count,
  p.median_amount,
  p.p95_amount,
  p.countries_used,
  p.last_txn_ts,
  coalesce(r.chargeback_count, 0) as chargeback_count,
  coalesce(r.fraud_chargeback_count, 0) as fraud_chargeback_count,
  coalesce(r.chargeback_rate, 0) as chargeback_rate
from stg_customers c
left join int_customer_spend_profile p using (customer_id)
left join int_chargeback_rates r using (customer_id)
