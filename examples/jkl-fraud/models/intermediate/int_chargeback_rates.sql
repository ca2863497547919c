/* @slipway
kind: table
tags: [intermediate]
owner: fraud-data-science@jkl.example
description: Dispute history per customer.
columns:
  customer_id: { description: Card holder., checks: [not_null, unique] }
  chargeback_rate: { description: Chargebacks per approved authorisation., checks: [{ range: { min: 0, max: 1 } }] }
*/
-- Rounding is floor(x * 10^n + 0.5) / 10^n in double precision: DuckDB's round(double, n) on
-- these non-negative values, and PostgreSQL has no round(double precision, n).
select
  t.customer_id,
  count(*) as txn_count,
  count(*) filter (where t.is_approved) as approved_count,
  count(c.chargeback_id) as chargeback_count,
  count(*) filter (where c.is_fraud) as fraud_chargeback_count,
  coalesce(sum(c.chargeback_amount), 0) as chargeback_amount,
  floor(
    coalesce(count(c.chargeback_id)::DOUBLE PRECISION / nullif(count(*) filter (where t.is_approved), 0), 0)
    * 1000000 + 0.5
  ) / 1000000 as chargeback_rate
from stg_transactions t
left join stg_chargebacks c using (txn_id)
group by t.customer_id
