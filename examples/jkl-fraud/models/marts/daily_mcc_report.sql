/* @slipway
kind: table
tags: [marts, reports, analysts]
owner: analytics@jkl.example
description: Daily volumes, amounts, approval rate and chargeback rate per merchant category group.
columns:
  report_date: Day of the authorisations (UTC).
  mcc_group: Merchant category group.
  approval_rate: { description: Approved / all authorisations., checks: [{ range: { min: 0, max: 1 } }] }
  chargeback_rate: { description: Chargebacks / approved authorisations., checks: [{ range: { min: 0, max: 1 } }] }
checks:
  - unique: [report_date, mcc_group]
*/
-- Rounding is floor(x * 10^n + 0.5) / 10^n in double precision: DuckDB's round(double, n) on
-- these non-negative values, and PostgreSQL has no round(double precision, n).
select
  event_date as report_date,
  coalesce(mcc_group, 'unknown') as mcc_group,
  count(*) as txn_count,
  count(distinct merchant_id) as active_merchants,
  count(*) filter (where is_approved) as approved_count,
  sum(amount) as total_amount,
  floor(avg(amount)::DOUBLE PRECISION * 100 + 0.5) / 100 as avg_amount,
  floor(count(*) filter (where is_approved)::DOUBLE PRECISION / count(*) * 10000 + 0.5) / 10000 as approval_rate,
  count(*) filter (where has_chargeback) as chargeback_count,
  coalesce(sum(chargeback_amount), 0) as chargeback_amount,
  floor(
    coalesce(count(*) filter (where has_chargeback)::DOUBLE PRECISION / nullif(count(*) filter (where is_approved), 0), 0)
    * 10000 + 0.5
  ) / 10000 as chargeback_rate
from fct_transactions
group by event_date, coalesce(mcc_group, 'unknown')
