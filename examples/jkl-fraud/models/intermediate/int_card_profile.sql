/* @slipway
kind: table
tags: [intermediate]
owner: fraud-data-science@jkl.example
description: One row per card with its activity footprint (devices, countries, merchants, first and last use).
columns:
  card_id: { description: Card id., checks: [not_null, unique] }
  distinct_devices: Devices the card was used with.
  distinct_countries: Countries the card was used in.
*/
select
  card_id,
  min(customer_id) as customer_id, -- a card belongs to one customer
  count(*) as txn_count,
  count(distinct device_id) as distinct_devices,
  count(distinct country) as distinct_countries,
  count(distinct merchant_id) as distinct_merchants,
  min(event_ts) as first_txn_ts,
  max(event_ts) as last_txn_ts
from stg_transactions
group by card_id
