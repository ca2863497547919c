/* @slipway
kind: view
tags: [intermediate, features]
owner: fraud-data-science@jkl.example
description: Whether each authorisation happened outside the card holder's home country.
columns:
  txn_id: { description: Authorisation id., checks: [not_null, unique] }
  is_geo_mismatch: { description: The transaction country differs from the home country., checks: [not_null] }
*/
select
  t.txn_id,
  t.customer_id,
  t.country as txn_country,
  c.home_country,
  coalesce(t.country <> c.home_country, false) as is_geo_mismatch
from stg_transactions t
left join stg_customers c using (customer_id)
