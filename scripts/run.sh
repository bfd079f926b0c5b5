#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the main job: for now, a small stack brought up by the
# orchestration library — a TCP backend gated by a readiness probe, a one-shot migration, an API
# that waits for both, and a worker that crashes and is restarted — then brought down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
exec node --import tsx packages/service-orchestration/examples/quickstart.ts "$@"
