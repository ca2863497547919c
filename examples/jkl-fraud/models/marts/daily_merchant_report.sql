/* @slipway
kind: table
tags: [marts, reports, analysts, fraud-ops]
owner: analytics@jkl.example
description: Daily activity, disputes and fraud alerts per merchant.
columns:
  report_date: Day of the authorisations (UTC).
  merchant_id: { description: Merchant id., checks: [not_null] }
  alert_count: Fraud alerts raised on the merchant's authorisations that day.
checks:
  - unique: [report_date, merchant_id]
*/
-- Rounding is floor(x * 10^n + 0.5) / 10^n in double precision: DuckDB's round(double, n) on
-- these non-negative values, and PostgreSQL has no round(double precision, n).
with alerts_per_day as (
  select merchant_id, event_ts::DATE as report_date, count(*) as alert_count, max(score) as max_alert_score
  from fraud_alerts
  group by merchant_id, event_ts::DATE
), activity as (
  select
    event_date as report_date,
    merchant_id,
    -- the category group and region are the merchant's own: min() picks them
    min(mcc_group) as mcc_group,
    min(merchant_region) as region,
    count(*) as txn_count,
    count(distinct card_id) as distinct_cards,
    count(*) filter (where is_approved) as approved_count,
    sum(amount) as total_amount,
    count(*) filter (where has_chargeback) as chargeback_count,
    count(*) filter (where is_fraud) as fraud_chargeback_count
  from fct_transactions
  group by event_date, merchant_id
)
select
  a.*,
  floor(a.approved_count::DOUBLE PRECISION / a.txn_count * 10000 + 0.5) / 10000 as approval_rate,
  floor(coalesce(a.chargeback_count::DOUBLE PRECISION / nullif(a.approved_count, 0), 0) * 10000 + 0.5) / 10000
    as chargeback_rate,
  coalesce(al.alert_count, 0) as alert_count,
  al.max_alert_score
from activity a
left join alerts_per_day al using (merchant_id, report_date)
