/* @slipway
kind: table
tags: [intermediate]
owner: fraud-data-science@jkl.example
description: Lifetime activity and dispute statistics per merchant.
columns:
  merchant_id: { description: Merchant id., checks: [not_null, unique] }
  chargeback_rate: { description: Chargebacks per approved authorisation., checks: [{ range: { min: 0, max: 1 } }] }
  fraud_chargeback_count: Chargebacks confirmed as fraud.
*/
-- Rounding is floor(x * 10^n + 0.5) / 10^n in double precision: DuckDB's round(double, n) on
-- these non-negative values, and PostgreSQL has no round(double precision, n).
with txn as (
  select t.*, c.chargeback_id is not null as has_chargeback, coalesce(c.is_fraud, false) as is_fraud_chargeback
  from stg_transactions t
  left join stg_chargebacks c using (txn_id)
)
select
  merchant_id,
  count(*) as txn_count,
  count(*) filter (where is_approved) as approved_count,
  count(distinct card_id) as distinct_cards,
  sum(amount) as total_amount,
  floor(avg(amount)::DOUBLE PRECISION * 100 + 0.5) / 100 as avg_amount,
  count(*) filter (where has_chargeback) as chargeback_count,
  count(*) filter (where is_fraud_chargeback) as fraud_chargeback_count,
  floor(count(*) filter (where not is_approved)::DOUBLE PRECISION / count(*) * 1000000 + 0.5) / 1000000
    as decline_rate,
  floor(
    coalesce(count(*) filter (where has_chargeback)::DOUBLE PRECISION / nullif(count(*) filter (where is_approved), 0), 0)
    * 1000000 + 0.5
  ) / 1000000 as chargeback_rate
from txn
group by merchant_id
