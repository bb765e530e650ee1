#!/usr/bin/env bash
# The whole test suite from a fresh clone: setup, fixtures, type-check, tap (unit + integration).
# Ends with one line `tests: N passed, M failed`; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "setup failed"; echo "tests: 0 passed, 1 failed"; exit 1; }
bash scripts/build-fixtures.sh || { echo "fixture build failed"; echo "tests: 0 passed, 1 failed"; exit 1; }

extra_fail=0
echo "== typecheck (tsc --noEmit)"
if ! npx tsc --noEmit -p tsconfig.json; then extra_fail=1; echo "typecheck FAILED"; fi
# The dashboard (browser code, DOM types) has its own tsconfig; the root one excludes it.
if ! npx tsc --noEmit -p clients/web/tsconfig.json; then extra_fail=1; echo "typecheck of clients/web FAILED"; fi

mkdir -p test-logs
echo "== tap"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(test/unit test/integration); fi
npx tap --reporter=base "${files[@]}" 2>&1 | tee test-logs/tap-output.txt
tap_rc=${PIPESTATUS[0]}

# tap's closing summary: "# { total: N, pass: P, fail: F, ... }" (terminal escapes may precede it)
summary=$(sed -E 's/\x1b\[[0-9;?]*[A-Za-z]//g' test-logs/tap-output.txt | grep -aoE '# \{ total: [0-9]+[^}]*\}' | tail -1)
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary"); pass=${pass:-0}
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary"); fail=${fail:-0}
if [ "$tap_rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
fail=$((fail + extra_fail))
echo "tests: ${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ] && [ "$tap_rc" -eq 0 ]
