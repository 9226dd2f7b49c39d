#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs >=3.8,<3.11; we pin 3.10).
# $PYTHON overrides the search. Exits 1 with advice when none is found.
set -euo pipefail

is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

if [[ -n "${PYTHON:-}" ]]; then
  if is_310 "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "error: PYTHON=$PYTHON is not a Python 3.10 interpreter" >&2; exit 1
fi
for candidate in python3.10 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python \
    /usr/local/bin/python3.10 /usr/bin/python3.10 /opt/python3.10/bin/python3.10; do
  path=$(command -v "$candidate" 2>/dev/null || true)
  if [[ -n "$path" ]] && is_310 "$path"; then echo "$path"; exit 0; fi
done
cat >&2 <<'MSG'
error: no Python 3.10 interpreter found (Rasa Open Source 3.6 supports Python 3.8-3.10).
Install one, for example `pyenv install 3.10` or `apt-get install python3.10 python3.10-venv`,
or point to it with `make PYTHON=/path/to/python3.10 ...`.
MSG
exit 1
