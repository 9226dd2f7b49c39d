#!/usr/bin/env bash
# Make sure Debian's nginx binary is installed for the scale-out set-up (docs/deploy.md) and its
# live test. Idempotent: does nothing when it is already there. We never use the system service:
# `python -m bot nginx-config` writes a config that runs nginx unprivileged with its pid, logs
# and temp files under var/ (or a test's temp dir), so the package's own site is stopped again.
set -euo pipefail

NGINX=/usr/sbin/nginx

if [[ -x "$NGINX" ]]; then
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo)
    else
        echo "error: $NGINX is missing and installing it needs root. Run:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y nginx" >&2
        exit 1
    fi
else
    SUDO=()
fi

echo "==> installing Debian's nginx for the scale-out set-up (apt-get)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq nginx >/dev/null
# The package starts its default site on port 80 where a service manager runs; we do not use it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    "${SUDO[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
elif [[ -f /run/nginx.pid ]]; then
    "${SUDO[@]}" "$NGINX" -s stop >/dev/null 2>&1 || true
fi
test -x "$NGINX"
