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
# Headless runs (the monitor's) take Debian's headless shell: a third of the full browser's CPU per run.
[ -x /usr/lib/chromium/chromium-headless-shell ] || [ -n "${GPMON_CHROMIUM:-}" ] || missing+=(chromium-headless-shell)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)

# apt runs beside npm (they share nothing): on a fresh machine the download and
# unpacking overlap the better-sqlite3 compile instead of coming before it.
apt_pid=
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing from apt: ${missing[*]}"
    (
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq "${missing[@]}" >/dev/null
    ) &
    apt_pid=$!
  else
    log "not installed (needs root and apt): ${missing[*]}; tests that need them will fail"
  fi
fi

# better-sqlite3 builds SQLite from its one 9 MB C file, at -O3 by default: 79 s
# of one core here, the longest step of the set-up. At -O1 it takes 42 s, and the
# store (a few rows a minute, history pages of a few hundred) does not notice.
# node-gyp appends CFLAGS after its own flags, so the last -O wins. Set CFLAGS
# yourself to build otherwise (CFLAGS=-O3 bash scripts/setup.sh).
export CFLAGS="${CFLAGS:--O1}"
log "installing npm packages"
if [ -f package-lock.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
else
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
fi
if [ -n "$apt_pid" ]; then
  wait "$apt_pid" || { log "apt-get install ${missing[*]} failed"; exit 1; }
fi

# Playwright's own browser only where no system Chromium is there to use.
if [ ! -x /usr/bin/chromium ] && [ -z "${GPMON_CHROMIUM:-}" ]; then
  log "no system Chromium: trying Playwright's own browser"
  npx playwright install chromium || log "could not download Playwright's Chromium; set GPMON_CHROMIUM to a Chromium binary"
fi
log "done"
