/* @slipway
kind: view
tags: [staging]
owner: crm-data@jkl.example
description: The latest version of every customer (by updated_at); older versions are dropped.
columns:
  customer_id: { description: Card holder id., checks: [not_null, unique, { range: { min: 1 } }] }
  segment: Marketing segment of the latest version.
  home_country: { description: Country of residence., checks: [not_null] }
  updated_at: When the kept version was written.
*/
select customer_id, name, segment, home_country, region, signup_date, updated_at
from (
  select
    customer_id::BIGINT as customer_id,
    name,
    lower(segment) as segment,
    upper(home_country) as home_country,
    region,
    signup_date::DATE as signup_date,
    updated_at::TIMESTAMP as updated_at,
    row_number() over (partition by customer_id order by updated_at desc) as version_rank
  from customers
) versions
where version_rank = 1
