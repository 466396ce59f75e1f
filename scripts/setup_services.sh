#!/usr/bin/env bash
# Redis and PostgreSQL from Debian's packages, for `make cluster` and the tests
# that start them on free ports (bot/ops/redis_server.py, bot/ops/postgres_server.py).
# Only the programs are installed: Debian's own services stay stopped; every
# server the project runs keeps its data under var/ (or a test's temp dir). Idempotent.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Noodwijzer needs Debian's ${need[*]}: run 'sudo apt-get install ${need[*]}'." >&2
  exit 1
fi
echo "Installing Debian ${need[*]}..."
apt-get update -qq
# policy-rc.d 101: the packages' own services are not started (there may be no init system).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
