/* @slipway
kind: table
tags: [intermediate, features]
owner: fraud-data-science@jkl.example
description: >
  Card velocity per authorisation: how many authorisations, how much money and how many small
  (card-testing sized) attempts the same card made in the trailing 1 hour and 24 hours,
  including the authorisation itself. Windows are inclusive of their start.
columns:
  txn_id: { description: Authorisation id., checks: [not_null, unique] }
  txn_count_1h: { description: Authorisations on the card in the trailing hour., checks: [{ range: { min: 1 } }] }
  amount_1h: Amount on the card in the trailing hour.
  small_txn_count_1h: Authorisations under 5.00 on the card in the trailing hour.
  declined_count_1h: Declined authorisations on the card in the trailing hour.
  txn_count_24h: { description: Authorisations on the card in the trailing 24 hours., checks: [{ range: { min: 1 } }] }
  amount_24h: Amount on the card in the trailing 24 hours.
  seconds_since_prev_txn: Seconds since the card's previous authorisation (null for the first).
*/
select
  txn_id,
  card_id,
  event_ts,
  count(*) over last_hour as txn_count_1h,
  sum(amount) over last_hour as amount_1h,
  count(*) filter (where amount < 5) over last_hour as small_txn_count_1h,
  count(*) filter (where not is_approved) over last_hour as declined_count_1h,
  count(*) over last_day as txn_count_24h,
  sum(amount) over last_day as amount_24h,
  -- whole-second boundaries crossed, as DuckDB's date_diff('second', …) counts them
  (floor(extract(epoch from event_ts))
    - floor(extract(epoch from lag(event_ts) over (partition by card_id order by event_ts, txn_id))))::BIGINT
    as seconds_since_prev_txn
from stg_transactions
window
  last_hour as (partition by card_id order by event_ts range between interval '1 hour' preceding and current row),
  last_day as (partition by card_id order by event_ts range between interval '24 hours' preceding and current row)
