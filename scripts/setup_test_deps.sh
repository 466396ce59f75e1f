#!/usr/bin/env bash
# Test-only system parts: Debian's chromium (Playwright must not download its own
# browser) and axe-core from the npm registry. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

# Redis and PostgreSQL for the cluster and fault tests.
bash scripts/setup_services.sh

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian chromium for the browser tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "The browser tests need Debian's chromium: run 'sudo apt-get install chromium'." >&2
    exit 1
  fi
fi

if [ -f package-lock.json ]; then
  want=$(sha256sum package-lock.json | cut -c1-16)
  if [ ! -f node_modules/.noodwijzer-stamp ] || [ "$(cat node_modules/.noodwijzer-stamp)" != "$want" ]; then
    npm ci --no-audit --no-fund --silent
    echo "$want" > node_modules/.noodwijzer-stamp
  fi
fi

# schemathesis for the OpenAPI fuzz: its own venv, because it needs jsonschema>=4.18
# and Rasa 3.6 pins jsonschema<4.18 (requirements-fuzz.txt pins every package).
want=$(sha256sum requirements-fuzz.txt | cut -c1-16)
if [ ! -x .venv-fuzz/bin/schemathesis ] || [ "$(cat .venv-fuzz/.noodwijzer-stamp 2>/dev/null)" != "$want" ]; then
  echo "Installing schemathesis in .venv-fuzz..."
  rm -rf .venv-fuzz
  .venv/bin/python -m venv .venv-fuzz
  .venv-fuzz/bin/pip install -q --disable-pip-version-check --no-deps -r requirements-fuzz.txt
  echo "$want" > .venv-fuzz/.noodwijzer-stamp
fi

# deduce for de-identifying the kept "not understood" messages (issue 19): its own venv,
# because deduce 3.x needs regex>=2024.11.6 and Rasa 3.6 pins regex 2022.10.31.
# Deduce() builds its lookup tables (a few minutes, offline) on first use and caches
# them inside the venv: do that here, never in a chat.
want=$(sha256sum requirements-deidentify.txt | cut -c1-16)
if [ ! -x .venv-deidentify/bin/python ] || [ "$(cat .venv-deidentify/.noodwijzer-stamp 2>/dev/null)" != "$want" ]; then
  echo "Installing deduce in .venv-deidentify (building its lookup tables takes a few minutes)..."
  rm -rf .venv-deidentify
  .venv/bin/python -m venv .venv-deidentify
  .venv-deidentify/bin/pip install -q --disable-pip-version-check --no-deps -r requirements-deidentify.txt
  nice -n 10 .venv-deidentify/bin/python -c "import deduce; deduce.Deduce()" 2>/dev/null
  echo "$want" > .venv-deidentify/.noodwijzer-stamp
fi
