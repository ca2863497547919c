#!/usr/bin/env bash
# Installs the servers the test suites start themselves (Debian's PostgreSQL), when missing. The
# suites start and stop them (test/global-setup.ts); SLIPWAY_TEST_PG_URL names an existing
# PostgreSQL server instead, and then nothing is installed.
set -euo pipefail

# apt-get update at most once per run, and only when something is missing.
apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian package(s) $*: install them as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" -eq 0 ]; then apt-get update -qq; apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

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
  apt_install postgresql
  # Debian's package starts a cluster of its own; the suites run their own server.
  (command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop || true; done) || true
fi

# Alertmanager (Debian's prometheus-alertmanager): the alerting test starts its own on a loopback
# port; the package's own service is stopped so it holds no port.
if command -v prometheus-alertmanager >/dev/null 2>&1; then
  echo "Alertmanager: $(command -v prometheus-alertmanager)"
else
  echo "Alertmanager: installing Debian's prometheus-alertmanager"
  apt_install prometheus-alertmanager
  (command -v systemctl >/dev/null && systemctl stop prometheus-alertmanager 2>/dev/null) || true
  (command -v service >/dev/null && service prometheus-alertmanager stop >/dev/null 2>&1) || true
fi

# Prometheus (Debian's `prometheus`, which ships promtool): the metrics tests start their own
# server on a loopback port with a temporary config. Installing must not leave Debian's service
# running on :9090, so service starts are refused while apt runs (policy-rc.d).
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "Prometheus: $(command -v prometheus)"
else
  echo "Prometheus: installing Debian's prometheus"
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt_install prometheus
  if [ -n "$created_policy" ]; then rm -f "$policy"; fi
  # Without systemd nothing was started; with it, stop the packaged service if it came up anyway.
  (command -v systemctl >/dev/null && systemctl stop prometheus 2>/dev/null) || true
fi
