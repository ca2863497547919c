/* @slipway
kind: table
tags: [intermediate, features]
owner: fraud-data-science@jkl.example
description: >
  How many cards and customers share each device fingerprint. Devices used by 5 or more cards
  look like fraud farms or emulators.
columns:
  device_id: { description: Device fingerprint id., checks: [not_null, unique] }
  distinct_cards: { description: Cards seen on the device., checks: [{ range: { min: 1 } }] }
  is_shared: At least 5 cards used the device.
*/
select
  t.device_id,
  -- one stg_devices row per device: min() picks the device's own values
  min(d.device_type) as device_type,
  min(d.first_seen_ts) as first_seen_ts,
  count(*) as txn_count,
  count(distinct t.card_id) as distinct_cards,
  count(distinct t.customer_id) as distinct_customers,
  count(distinct t.card_id) >= 5 as is_shared
from stg_transactions t
left join stg_devices d using (device_id)
where t.device_id is not null
group by t.device_id
