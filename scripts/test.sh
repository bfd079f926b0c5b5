#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole test suite: lint, type checks, and every
# package's tests against real components, with coverage. Ends with one line of totals.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TURBO_TELEMETRY_DISABLED=1
pnpm lint
pnpm turbo run typecheck --output-logs=errors-only
status=0
pnpm turbo run test --concurrency=1 --continue || status=$?
node scripts/summarize-tests.mjs || status=$?
exit "$status"
