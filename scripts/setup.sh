#!/usr/bin/env bash
# Installs everything gpmon needs on a Debian machine with Node 20: Chromium and
# the Prometheus tools from apt (when missing and we are root), the npm
# packages, and Playwright's own browser only where no system Chromium exists.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  log "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

missing=()
[ -x /usr/bin/chromium ] || [ -n "${GPMON_CHROMIUM:-}" ] || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing from apt: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "not installed (needs root and apt): ${missing[*]}; tests that need them will fail"
  fi
fi

log "installing npm packages"
if [ -f package-lock.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
else
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
fi

# Playwright's own browser only where no system Chromium is there to use.
if [ ! -x /usr/bin/chromium ] && [ -z "${GPMON_CHROMIUM:-}" ]; then
  log "no system Chromium: trying Playwright's own browser"
  npx playwright install chromium || log "could not download Playwright's Chromium; set GPMON_CHROMIUM to a Chromium binary"
fi
log "done"
