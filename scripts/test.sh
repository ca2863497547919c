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

step "type-check (src, tests, benchmarks, reference project)"
npx tsc -p tsconfig.json --noEmit

step "lint and format (biome)"
npx biome check .

step "JSON Schemas are up to date"
npx tsx scripts/generate-schemas.ts --check

step "build"
npm run --silent build

step "tests (vitest)"
npx vitest run
