#!/usr/bin/env bash
# Makes sure a Chromium exists for the report screenshot test (test/report/report.test.ts).
# playwright-core never downloads a browser here: it drives Debian's `chromium` package.
# Idempotent: does nothing when the browser is already there. Prints the browser's path.
#
#   bash scripts/ensure-chromium.sh            # installs /usr/bin/chromium with apt-get if missing
#   VIBEOPT_CHROMIUM=/path/to/chrome bash ...  # use (and check) another Chromium instead
set -euo pipefail

CHROMIUM="${VIBEOPT_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "${CHROMIUM}" ]]; then
  echo "${CHROMIUM}"
  exit 0
fi
if [[ -n "${VIBEOPT_CHROMIUM:-}" ]]; then
  echo "ensure-chromium: VIBEOPT_CHROMIUM=${VIBEOPT_CHROMIUM} is not an executable file" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: ${CHROMIUM} is missing and apt-get is not available; install Chromium with your package manager and set VIBEOPT_CHROMIUM to its path" >&2
  exit 1
fi
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO=(sudo)
fi
echo "ensure-chromium: installing Debian's chromium (about 30 s)..." >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq chromium >/dev/null
if [[ ! -x "${CHROMIUM}" ]]; then
  echo "ensure-chromium: apt-get installed chromium but ${CHROMIUM} is still missing" >&2
  exit 1
fi
echo "${CHROMIUM}"
