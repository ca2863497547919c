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
  apt-get update -qq; SLIPWAY_APT_UPDATED=1
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  # Debian's package starts a cluster of its own; the suites run their own server.
  (command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop || true; done) || true
fi

# Prometheus (Debian's `prometheus`, which ships promtool): the metrics tests start their own
# server on a loopback port with a temporary config. Installing must not leave Debian's service
# running on :9090, so service starts are refused while apt runs (policy-rc.d).
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "Prometheus: $(command -v prometheus)"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "Prometheus is missing: install Debian's prometheus (it provides promtool)" >&2
    exit 1
  fi
  echo "Prometheus: installing Debian's prometheus"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${SLIPWAY_APT_UPDATED:-}" ]; then apt-get update -qq; SLIPWAY_APT_UPDATED=1; fi
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if [ -n "$created_policy" ]; then rm -f "$policy"; fi
  # Without systemd nothing was started; with it, stop the packaged service if it came up anyway.
  (command -v systemctl >/dev/null && systemctl stop prometheus 2>/dev/null) || true
fi
