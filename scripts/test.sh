#!/usr/bin/env bash
# The README's test command (`npm test`): install, lint, bring the real stack up, run every
# test (unit, integration, end-to-end), and stop the stack again if this run started it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run --silent lint
was_up=no
node bin/flashsale.js stack status --quiet && was_up=yes
node bin/flashsale.js stack up
if [ "$was_up" = no ]; then trap 'node bin/flashsale.js stack down' EXIT; fi
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.flashsale/vitest-report.json "$@" || status=$?
# The plain closing line any CI reads: counts from vitest's own JSON report.
node -e 'const r = require("./.flashsale/vitest-report.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' || true
exit "$status"
