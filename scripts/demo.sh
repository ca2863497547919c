#!/usr/bin/env bash
# The main job on embedded defaults: install, build Slipway, then `slipway demo` — a git
# repository of the JKL reference project, the Git-Ops operator on 127.0.0.1, and the story of
# a merge, a CI failure, a gate failure and a rollback with real commits. `npm run demo`;
# extra arguments go to `slipway demo` (e.g. `npm run demo -- --exit`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build

exec node bin/slipway.js demo --scale "${SLIPWAY_DEMO_SCALE:-0.05}" "$@"
