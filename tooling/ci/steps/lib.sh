# Sourced by the step scripts: strict mode, the repository root, a step banner, and the
# turbo concurrency for small runners (2 cores: two tasks at a time; each vitest sizes its pool).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
TURBO_CONCURRENCY="${TURBO_CONCURRENCY:-2}"
step() { printf '\n=== %s (%ss)\n' "$1" "$SECONDS"; }
