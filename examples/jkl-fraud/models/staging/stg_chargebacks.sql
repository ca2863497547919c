/* @slipway
kind: view
tags: [staging]
owner: disputes-data@jkl.example
description: Chargebacks, at most one per transaction (the earliest report wins).
columns:
  chargeback_id: { description: Dispute id., checks: [not_null, unique] }
  txn_id: { description: Disputed authorisation., checks: [not_null, unique] }
  is_fraud: { description: Confirmed fraud (reason codes 10.x)., checks: [not_null] }
*/
select chargeback_id, txn_id, reason_code, chargeback_amount, reported_ts, is_fraud
from (
  select
    chargeback_id::BIGINT as chargeback_id,
    txn_id::BIGINT as txn_id,
    reason_code,
    amount::DECIMAL(12, 2) as chargeback_amount,
    reported_ts::TIMESTAMP as reported_ts,
    is_fraud::BOOLEAN as is_fraud,
    row_number() over (partition by txn_id order by reported_ts, chargeback_id) as report_rank
  from chargebacks
) ranked
where report_rank = 1
