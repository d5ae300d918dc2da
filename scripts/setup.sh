#!/usr/bin/env bash
# Installs everything gpmon needs on a Debian machine with Node 20: Chromium, its
# headless shell (the monitor's browser: a third of the full browser's CPU per
# run) and the Prometheus tools from apt (when missing and we are root), the npm
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
# Debian's headless shell: wanted, not needed (without it headless runs take the full browser), so a
# distribution without the package does not fail the set-up.
shell_missing=
[ -x /usr/lib/chromium/chromium-headless-shell ] || [ -n "${GPMON_CHROMIUM:-}" ] || shell_missing=chromium-headless-shell

# apt runs beside npm (they share nothing): on a fresh machine the download and
# unpacking overlap the better-sqlite3 compile instead of coming before it. The
# script never ends while apt still runs, whatever ends it.
apt_pid=
wait_for_apt() { if [ -n "$apt_pid" ]; then wait "$apt_pid" 2>/dev/null; fi; }
trap 'status=$?; wait_for_apt; exit $status' EXIT
if [ "${#missing[@]}" -gt 0 ] || [ -n "$shell_missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing from apt: ${missing[*]} $shell_missing"
    (
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      if [ "${#missing[@]}" -gt 0 ]; then apt-get install -y -qq "${missing[@]}" >/dev/null; fi
      if [ -n "$shell_missing" ]; then
        apt-get install -y -qq "$shell_missing" >/dev/null || log "could not install $shell_missing: headless runs take the full browser (about three times the CPU)"
      fi
    ) &
    apt_pid=$!
  elif [ "${#missing[@]}" -gt 0 ]; then
    log "not installed (needs root and apt): ${missing[*]}; tests that need them will fail"
  else
    log "not installed (needs root and apt): $shell_missing; headless runs take the full browser"
  fi
fi

# better-sqlite3 builds SQLite from its one 9 MB C file, at -O3 by default: 79 s
# of one core here, the longest step of the set-up. At -O1 it takes 42 s; its
# queries measured up to a fifth slower, which at this store's size (a few rows a
# minute, pages of a few hundred) is well under a millisecond.
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
  pid=$apt_pid
  apt_pid=
  wait "$pid" || { log "apt-get install ${missing[*]} failed"; exit 1; }
fi

# Playwright's own browser only where no system Chromium is there to use.
if [ ! -x /usr/bin/chromium ] && [ -z "${GPMON_CHROMIUM:-}" ]; then
  log "no system Chromium: trying Playwright's own browser"
  npx playwright install chromium || log "could not download Playwright's Chromium; set GPMON_CHROMIUM to a Chromium binary"
fi
log "done"
