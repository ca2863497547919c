#!/usr/bin/env bash
# Installs the servers the test suites start themselves (Debian's PostgreSQL), when missing. The
# suites start and stop them (test/global-setup.ts); SLIPWAY_TEST_PG_URL names an existing
# PostgreSQL server instead, and then nothing is installed.
set -euo pipefail

have_postgres() { ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; }

if [ -n "${SLIPWAY_TEST_PG_URL:-}" ]; then
  echo "PostgreSQL: using SLIPWAY_TEST_PG_URL"
elif have_postgres; then
  echo "PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server binaries are missing: install Debian's postgresql, or set SLIPWAY_TEST_PG_URL" >&2
    exit 1
  fi
  echo "PostgreSQL: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  # Debian's package starts a cluster of its own; the suites run their own server.
  (command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop || true; done) || true
fi
