#!/usr/bin/env bash
# The README's `npm test` (every workspace's unit, integration, chart and contract tests).
# Without DATABASE_URL / REDIS_URL it runs on embedded PGlite and memory stores; with them,
# on the real servers. Run it both ways in CI.
source "$(dirname "$0")/lib.sh"
if [ -n "${DATABASE_URL:-}" ]; then
  step "npm test (PostgreSQL ${DATABASE_URL##*@}, Redis ${REDIS_URL:-none})"
else
  step "npm test (embedded PGlite, memory stores)"
fi
npm test -- --concurrency="$TURBO_CONCURRENCY"
