#!/usr/bin/env bash
# Runs every uvu test file of the project (or those matching $TESTS), then the TypeScript type check and the
# servers' short fuzz run, and ends with one plain "N passed, N failed" line that CI can read.
set -uo pipefail
cd "$(dirname "$0")/.."
pattern=${TESTS:-'(lib|env|harness|servers|notebooks)/.*\.test\.ts$'}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

NO_COLOR=1 FORCE_COLOR=0 node --import tsx node_modules/uvu/bin.js . "$pattern" -i node_modules -i .jupyter 2>&1 | tee "$log"
uvu_rc=${PIPESTATUS[0]}
total=$(sed -n 's/^ *Total: *\([0-9]*\).*/\1/p' "$log" | tail -1)
passed=$(sed -n 's/^ *Passed: *\([0-9]*\).*/\1/p' "$log" | tail -1)
skipped=$(sed -n 's/^ *Skipped: *\([0-9]*\).*/\1/p' "$log" | tail -1)
total=${total:-0}; passed=${passed:-0}; skipped=${skipped:-0}
failed=$((total - passed - skipped))
if [ "$uvu_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # a file that failed to load counts as a failure

if [ -z "${TESTS:-}" ]; then
  # tsx runs TypeScript without checking types; the checker catches what no test exercises.
  if node node_modules/typescript/bin/tsc --noEmit -p .; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  # The request path's fuzz target runs briefly on every test run (longer with `make fuzz`).
  if make -s -C servers fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

echo "Tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
