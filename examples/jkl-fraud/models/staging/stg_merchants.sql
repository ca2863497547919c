/* @slipway
kind: view
tags: [staging]
owner: payments-data@jkl.example
description: Merchants with their category code and group.
columns:
  merchant_id: { description: Merchant id., checks: [not_null, unique] }
  mcc: Merchant category code.
  mcc_group: Analyst grouping of the category code.
*/
select
  merchant_id::BIGINT as merchant_id,
  name as merchant_name,
  mcc,
  mcc_group,
  upper(country) as merchant_country,
  region as merchant_region
from merchants
