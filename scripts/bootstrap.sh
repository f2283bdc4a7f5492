#!/usr/bin/env bash
# Installs what a fresh clone needs: the npm packages (from the lock file) when missing or
# stale. The stack's jars are resolved by `flashsale stack up` itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages…"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The Compose file is checked by a test; this machine kind has the docker client but not
# always its compose plugin, so the standalone docker-compose comes from Debian's packages.
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  echo "installing docker-compose (Debian) to validate docker-compose.yml…"
  apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null
fi
# The live dashboard's test drives a real headless browser (playwright-core, which downloads no
# browser of its own): Debian's chromium.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (Debian) for the dashboard's browser test…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
