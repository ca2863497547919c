/* @slipway
kind: table
tags: [marts, reports, analysts]
owner: analytics@jkl.example
description: >
  Daily volumes, amounts, approval rate and chargeback rate per merchant region. The chargeback
  rate counts disputes against the day the authorisation happened, per approved authorisation.
columns:
  report_date: Day of the authorisations (UTC).
  region: Merchant region.
  approval_rate: { description: Approved / all authorisations., checks: [{ range: { min: 0, max: 1 } }] }
  chargeback_rate: { description: Chargebacks / approved authorisations., checks: [{ range: { min: 0, max: 1 } }] }
checks:
  - unique: [report_date, region]
*/
-- Rounding is floor(x * 10^n + 0.5) / 10^n in double precision: DuckDB's round(double, n) on
-- these non-negative values, and PostgreSQL has no round(double precision, n).
select
  event_date as report_date,
  coalesce(merchant_region, 'unknown') as region,
  count(*) as txn_count,
  count(*) filter (where is_approved) as approved_count,
  count(*) filter (where not is_approved) as declined_count,
  sum(amount) as total_amount,
  coalesce(sum(amount) filter (where is_approved), 0) as approved_amount,
  floor(count(*) filter (where is_approved)::DOUBLE PRECISION / count(*) * 10000 + 0.5) / 10000 as approval_rate,
  count(*) filter (where has_chargeback) as chargeback_count,
  count(*) filter (where is_fraud) as fraud_chargeback_count,
  floor(
    coalesce(count(*) filter (where has_chargeback)::DOUBLE PRECISION / nullif(count(*) filter (where is_approved), 0), 0)
    * 10000 + 0.5
  ) / 10000 as chargeback_rate
from fct_transactions
group by event_date, coalesce(merchant_region, 'unknown')
