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
-- Rounding is floor(x * 10^n + 0.5) / 10^n in double precision: DuckDB's round(double, n) on
-- these non-negative values, and PostgreSQL has no round(double precision, n).
-- Percentiles of a DECIMAL interpolate in DuckDB and truncate to its scale; PostgreSQL interpolates
-- in double precision, so trunc(…, 2) gives both engines DuckDB's DECIMAL(12, 2) value.
select
  customer_id,
  count(*) as approved_txn_count,
  sum(amount) as total_amount,
  floor(avg(amount)::DOUBLE PRECISION * 100 + 0.5) / 100 as avg_amount,
  floor(coalesce(stddev_samp(amount::DOUBLE PRECISION), 0) * 100 + 0.5) / 100 as stddev_amount,
  trunc((percentile_cont(0.5) within group (order by amount))::NUMERIC, 2)::DECIMAL(12, 2) as median_amount,
  trunc((percentile_cont(0.95) within group (order by amount))::NUMERIC, 2)::DECIMAL(12, 2) as p95_amount,
  count(distinct country) as countries_used,
  count(distinct event_date) as active_days,
  max(event_ts) as last_txn_ts
from stg_transactions
where is_approved
group by customer_id
