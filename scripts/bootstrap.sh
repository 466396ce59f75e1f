#!/usr/bin/env bash
# Create .venv with Python 3.10 and install pinned dependencies.
# Skips all work when requirements and constraints did not change.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null; then
    command -v python3.10; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    for dir in "$(pyenv root)"/versions/3.10*; do
      if [ -x "$dir/bin/python" ]; then echo "$dir/bin/python"; return; fi
    done
  fi
  for dir in "$HOME"/.pyenv/versions/3.10* /root/.pyenv/versions/3.10*; do
    if [ -x "$dir/bin/python" ]; then echo "$dir/bin/python"; return; fi
  done
  return 1
}

stamp=.venv/.noodwijzer-stamp
want=$(cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/rasa ]; then
  exit 0
fi

if ! PY=$(find_python); then
  echo "Noodwijzer needs Python 3.10 (Rasa 3.6 does not run on 3.11+)." >&2
  echo "Install it (e.g. 'pyenv install 3.10' or 'apt-get install python3.10') or set PYTHON=/path/to/python3.10." >&2
  exit 1
fi
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2]==(3,10) else 1)'; then
  echo "PYTHON=$PY is not Python 3.10; Rasa 3.6 needs 3.10 (or 3.8/3.9)." >&2
  exit 1
fi

echo "Setting up .venv with $PY ..."
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade "pip==24.0"
.venv/bin/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
echo "$want" > "$stamp"
echo ".venv is ready."
