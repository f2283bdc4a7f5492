#!/usr/bin/env bash
# The README's test command (`npm test`): install, lint, bring the real stack up, run every
# test (unit, integration, end-to-end), and stop the stack again if this run started it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run --silent lint
was_up=no
node bin/flashsale.js stack status --quiet && was_up=yes
report=.flashsale/vitest-report.json
rm -f "$report"
finish() {
  if [ "$was_up" = no ]; then node bin/flashsale.js stack down; fi
  # The plain closing line any CI reads, last: counts from vitest's own JSON report.
  if [ -f "$report" ]; then
    # A test file that fails to load has no failed test of its own: it counts as one failed.
    node -e 'const r = require(process.argv[1]); const broken = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length; console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "./$report" || true
  fi
}
trap finish EXIT
node bin/flashsale.js stack up
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
