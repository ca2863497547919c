/* @slipway
kind: table
tags: [intermediate, fraud-ops]
owner: fraud-ops@jkl.example
description: >
  Card-testing bursts: a card making at least 5 small (under 5.00) authorisations within one hour.
  One row per card and burst start hour.
columns:
  card_id: { description: Card id., checks: [not_null] }
  small_txn_count: { description: Small authorisations in the burst., checks: [{ range: { min: 5 } }] }
checks:
  - unique: [card_id, burst_hour]
*/
with small_attempts as (
  select
    v.card_id,
    date_trunc('hour', v.event_ts) as burst_hour,
    v.small_txn_count_1h,
    t.amount,
    t.is_approved
  from int_card_velocity v
  join stg_transactions t using (txn_id)
  where t.amount < 5
)
select
  card_id,
  burst_hour,
  max(small_txn_count_1h) as small_txn_count,
  count(*) filter (where not is_approved) as declined_count,
  sum(amount) as burst_amount
from small_attempts
group by card_id, burst_hour
having max(small_txn_count_1h) >= 5
