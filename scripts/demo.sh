#!/usr/bin/env bash
# The main job on embedded defaults: install, build Slipway, scaffold the JKL reference project,
# build every model into dev, and query what fraud operations would look at. `npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build

demo=".slipway-demo/jkl-fraud"
rm -rf "$demo"
slipway() { node bin/slipway.js "$@"; }

slipway init "$demo" --scale "${SLIPWAY_DEMO_SCALE:-0.05}"
slipway validate --project "$demo"
slipway build --project "$demo" --env dev
echo
echo "Fraud alerts by severity (dev):"
slipway query --project "$demo" --env dev \
  "select severity, count(*) as alerts, round(avg(score), 1) as avg_score from fraud_alerts group by all order by alerts desc"
echo
echo "Approval and chargeback rates by region (dev):"
slipway query --project "$demo" --env dev \
  "select region, sum(txn_count) as txns, round(sum(approved_count) / sum(txn_count), 3) as approval_rate, round(sum(chargeback_count) / sum(txn_count), 4) as chargeback_rate from daily_region_report group by all order by txns desc"
