#!/usr/bin/env bash
# The benchmark's own setup: wrk from Debian (the load generator). Without it (no root, no apt),
# bench/run.py falls back to its asyncio driver and says so in every result row ("driver": "python").
set -uo pipefail
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench: installing wrk from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; }
fi
command -v wrk >/dev/null 2>&1 || echo "bench: wrk unavailable; the Python driver will be used (lower ceilings)"
exit 0
