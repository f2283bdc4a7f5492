#!/usr/bin/env bash
# Installs what a fresh clone needs: the npm packages (from the lock file) when missing or
# stale. The stack's jars are resolved by `flashsale stack up` itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages…"
  npm ci --no-audit --no-fund --loglevel=error
fi
