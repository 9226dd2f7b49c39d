#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the browser tests (Playwright drives it through
# executable_path=/usr/bin/chromium). Idempotent: does nothing when it is already there.
# Never `playwright install`: its browser downloads come from a host this machine cannot reach.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "error: $CHROMIUM is missing and installing it needs root. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y chromium chromium-driver" >&2
    exit 1
fi

echo "==> installing Debian's chromium for the browser tests (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
test -x "$CHROMIUM"
