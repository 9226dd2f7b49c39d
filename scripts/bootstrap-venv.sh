#!/usr/bin/env bash
# Create (or reuse) the project virtualenv and install requirements.lock into it.
#
# The venv itself lives in a cache outside the repo, keyed by the lock file's hash, and
# `.venv` is a symlink to it: a fresh clone on the same machine (CI) reuses a finished
# install instead of spending minutes on pip. A half-finished install is never reused:
# the `.complete` marker is written last.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements.lock
hash=$(sha256sum "$lock" | cut -c1-16)
cache_root=${VENV_CACHE:-$HOME/.cache/mibg-assistant/venvs}
target="$cache_root/$hash"

if [[ ! -f "$target/.complete" ]]; then
  python=$(scripts/find-python.sh)
  echo "==> creating virtualenv with $python in $target"
  rm -rf "$target"
  mkdir -p "$cache_root"
  "$python" -m venv "$target"
  "$target/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip<25" wheel
  echo "==> installing pinned dependencies from $lock (a few minutes the first time)"
  "$target/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
  touch "$target/.complete"
fi

if [[ -L .venv || ! -e .venv ]]; then
  ln -sfn "$target" .venv
elif [[ -d .venv ]]; then
  echo "note: .venv is a real directory, not the cached venv; using it as it is" >&2
fi
echo "==> virtualenv ready: .venv -> $(readlink -f .venv)"
