#!/usr/bin/env bash
# README main command: setup (idempotent), build the demo program, attach and stream.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Its own build dir: a demo must not rewrite the manifest the tests read.
FIXTURE_OUT="$PWD/test/targets/.build-demo" FIXTURE_INSTRUMENTED=0 FIXTURE_TOOLCHAINS="${FIXTURE_TOOLCHAINS:-1.26}" bash scripts/build-fixtures.sh
exec npx tsx scripts/demo.ts "$@"
