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
-- Percentiles of a DECIMAL interpolate in DuckDB and truncate to cents. The median (a step of
-- exactly half) is percentile_cont in double precision truncated to cents; the 95th percentile
-- spells DuckDB's interpolation out (lower value plus the step to the next, truncated to cents),
-- because PostgreSQL's double-precision interpolation can land on the next cent.
with approved as (
  select
    customer_id,
    amount,
    country,
    event_date,
    event_ts,
    row_number() over (partition by customer_id order by amount) - 1 as amount_index,
    (count(*) over (partition by customer_id) - 1) * 0.95::DOUBLE PRECISION as p95_index
  from stg_transactions
  where is_approved
)
select
  customer_id,
  count(*) as approved_txn_count,
  sum(amount) as total_amount,
  floor(avg(amount)::DOUBLE PRECISION * 100 + 0.5) / 100 as avg_amount,
  floor(coalesce(stddev_samp(amount::DOUBLE PRECISION), 0) * 100 + 0.5) / 100 as stddev_amount,
  trunc((percentile_cont(0.5) within group (order by amount))::NUMERIC, 2)::DECIMAL(12, 2) as median_amount,
  (
    min(amount) filter (where amount_index = floor(p95_index))
    + trunc(
      (min(amount) filter (where amount_index = ceil(p95_index)) - min(amount) filter (where amount_index = floor(p95_index)))
      * 100 * min(p95_index - floor(p95_index))
    )::BIGINT * 0.01
  )::DECIMAL(12, 2) as p95_amount,
  count(distinct country) as countries_used,
  count(distinct event_date) as active_days,
  max(event_ts) as last_txn_ts
from approved
group by customer_id
