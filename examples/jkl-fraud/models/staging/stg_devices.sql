/* @slipway
kind: view
tags: [staging]
owner: payments-data@jkl.example
description: Device fingerprints.
columns:
  device_id: { description: Device fingerprint id., checks: [not_null, unique] }
  device_type: ios, android or web.
*/
select
  device_id::BIGINT as device_id,
  lower(device_type) as device_type,
  first_seen_ts::TIMESTAMP as first_seen_ts
from devices
