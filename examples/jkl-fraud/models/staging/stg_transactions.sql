/* @slipway
kind: view
tags: [staging]
owner: payments-data@jkl.example
description: Card authorisations, typed and normalised; one row per txn_id (a re-delivered row keeps its latest load).
columns:
  txn_id: { description: Authorisation id., checks: [not_null, unique] }
  customer_id: { description: Card holder., checks: [not_null, { range: { min: 1 } }] }
  amount: Authorised amount in the transaction currency.
  is_approved: The issuer approved the authorisation.
  event_date: Calendar day (UTC) of the authorisation.
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
  loaded_at
from (
  select
    txn_id::BIGINT as txn_id,
    card_id::BIGINT as card_id,
    customer_id::BIGINT as customer_id,
    merchant_id::BIGINT as merchant_id,
    device_id::BIGINT as device_id,
    amount::DECIMAL(12, 2) as amount,
    upper(currency) as currency,
    lower(status) as status,
    lower(status) = 'approved' as is_approved,
    lower(channel) as channel,
    upper(country) as country,
    event_ts::TIMESTAMP as event_ts,
    event_ts::DATE as event_date,
    loaded_at::TIMESTAMP as loaded_at,
    row_number() over (partition by txn_id order by loaded_at desc) as delivery_rank
  from card_transactions
) deliveries
where delivery_rank = 1
