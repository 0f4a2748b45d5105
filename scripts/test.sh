#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every test once.
# Writes vitest's JSON report to test-results.json (read by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "vmtrace tests need root (network namespaces, Open vSwitch)" >&2; exit 1; }
bash scripts/install-deps.sh
npx tsc -p tsconfig.test.json
exec npx vitest run --reporter=default --reporter=json --outputFile.json=test-results.json "$@"
