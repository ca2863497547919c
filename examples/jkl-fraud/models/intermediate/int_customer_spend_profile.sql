/* @slipway
kind: table
tags: [intermediate, features]
owner: fraud-data-science@jkl.example
description: >
  The usual spending of each customer on approved authorisations: median, mean, spread and
  95th percentile of the amount, and how many countries and days they were active.
columns:
  customer_id: { description: Card holder., checks: [not_null, unique, { range: { min: 1 } }] }
  median_amount: Median approved amount (robust to the spikes fraud produces).
  p95_amount: 95th percentile of the approved amount.
*/
select
  customer_id,
  count(*) as approved_txn_count,
  sum(amount) as total_amount,
  round(avg(amount), 2) as avg_amount,
  round(coalesce(stddev_samp(amount), 0), 2) as stddev_amount,
  round(median(amount), 2) as median_amount,
  round(quantile_cont(amount, 0.95), 2) as p95_amount,
  count(distinct country) as countries_used,
  count(distinct event_date) as active_days,
  max(event_ts) as last_txn_ts
from stg_transactions
where is_approved
group by customer_id
