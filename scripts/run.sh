#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the main job: `harness up` on the quickstart example stack
# (a TCP backend gated by a readiness probe, a one-shot migration, an HTTP API that waits for both,
# and a worker that crashes now and then). It shows each service coming up, then their logs;
# Ctrl-C brings the stack down. Extra arguments go to `harness up` (e.g. -d to return at once).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" >/dev/null
cd "$root/examples/quickstart"
exec node "$root/apps/harness/dist/bin.js" up "$@"
