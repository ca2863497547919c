#!/usr/bin/env bash
# The one command that runs every test: installs what the tests need, type-checks, lints, builds,
# and runs the unit, integration and end-to-end tests. `npm test` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "services the tests start (PostgreSQL)"
bash scripts/install-test-services.sh

step "type-check (src, tests, benchmarks, reference project)"
npx tsc -p tsconfig.json --noEmit

step "lint and format (biome)"
npx biome check .

step "JSON Schemas are up to date"
npx tsx scripts/generate-schemas.ts --check

step "build"
npm run --silent build

step "tests (vitest)"
report="$(mktemp -d)/vitest.json"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
# A plain closing line any CI reads: "N passed, N failed".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || true
exit "$status"
