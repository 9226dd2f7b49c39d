#!/usr/bin/env bash
# Create (or reuse) a virtualenv with a lock file installed: `scripts/bootstrap-venv.sh [LOCK [LINK]]`,
# by default requirements.lock as .venv (the lean runtime of `make run` and `make test`);
# `make bench` runs it with requirements-tensorflow.lock as .venv-tensorflow (scripts/lock.py).
#
# The venv itself lives in a cache outside the repo, keyed by the lock file's hash, and the link
# is a symlink to it: a fresh clone on the same machine (CI) reuses a finished install instead
# of spending minutes on pip. A half-finished install is never reused: the `.complete` marker is
# written last.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=${1:-requirements.lock}
link=${2:-.venv}
hash=$(sha256sum "$lock" | cut -c1-16)
cache_root=${VENV_CACHE:-$HOME/.cache/mibg-assistant/venvs}
target="$cache_root/$hash"

if [[ ! -f "$target/.complete" ]]; then
  python=$(scripts/find-python.sh)
  echo "==> creating virtualenv with $python in $target"
  started=$SECONDS
  rm -rf "$target"
  mkdir -p "$cache_root"
  "$python" -m venv "$target"
  "$target/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip<25" wheel
  echo "==> installing pinned dependencies from $lock (a few minutes the first time)"
  # The lock pins every package, so pip has nothing to resolve (--no-deps): requirements.lock
  # leaves out TensorFlow, which rasa's requirements name. `pip check` then shows that nothing
  # else is missing or at a version its dependants do not accept.
  "$target/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$lock"
  problems=$("$target/bin/python" -m pip check 2>&1 |
    grep -Ev '^rasa [^ ]+ requires tensorflow[a-z_-]*, which is not installed\.$' |
    grep -v '^No broken requirements found\.$' || true)
  if [[ -n "$problems" ]]; then
    echo "error: $lock does not install a consistent set of packages (pip check):" >&2
    echo "$problems" >&2
    exit 1
  fi
  touch "$target/.complete"
  echo "    installed in $((SECONDS - started)) s ($(du -sh "$target" | cut -f1))"
fi

if [[ -L "$link" || ! -e "$link" ]]; then
  ln -sfn "$target" "$link"
elif [[ -d "$link" ]]; then
  echo "note: $link is a real directory, not the cached venv; using it as it is" >&2
fi
echo "==> virtualenv ready: $link -> $(readlink -f "$link")"
