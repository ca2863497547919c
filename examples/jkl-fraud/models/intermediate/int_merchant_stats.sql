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
  round(avg(amount), 2) as avg_amount,
  count(*) filter (where has_chargeback) as chargeback_count,
  count(*) filter (where is_fraud_chargeback) as fraud_chargeback_count,
  round(count(*) filter (where not is_approved) / count(*), 6) as decline_rate,
  round(coalesce(count(*) filter (where has_chargeback) / nullif(count(*) filter (where is_approved), 0), 0), 6)
    as chargeback_rate
from txn
group by merchant_id
