#!/usr/bin/env bash
# Make sure a Chromium is there for the browser tests (test/admin-console.e2e-spec.ts, driven by playwright-core,
# which never downloads a browser of its own). Installs Debian's `chromium` package where it is missing and we are
# root with apt-get; elsewhere says what to do and leaves it to the test to fail with the same advice.
#   bash scripts/ensure-browser.sh
# Env: CHROMIUM_PATH, a Chromium or Chrome binary to use instead of /usr/bin/chromium (then nothing is installed).
set -uo pipefail

BROWSER=${CHROMIUM_PATH:-/usr/bin/chromium}
LOG=${TMPDIR:-/tmp}/ensure-browser.log

if [ -x "$BROWSER" ]; then
  echo "ok chromium $BROWSER"
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "WARN chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file; the browser tests will fail" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "... chromium missing; running: apt-get install -y chromium (output in $LOG)"
  # The package lists may be missing or stale on a fresh machine: update once, then try again.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium </dev/null >>"$LOG" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update </dev/null >>"$LOG" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium </dev/null >>"$LOG" 2>&1
  fi
  if [ -x "$BROWSER" ]; then
    echo "installed chromium $BROWSER"
    exit 0
  fi
  echo "WARN chromium: apt-get install -y chromium did not give $BROWSER (see $LOG); the browser tests will fail" >&2
  exit 0
fi
echo "WARN chromium: $BROWSER is missing and cannot be installed here (needs root and apt-get)." >&2
echo "     Install Chromium (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium)," >&2
echo "     or set CHROMIUM_PATH to a Chromium or Chrome binary; until then the browser tests fail." >&2
exit 0
