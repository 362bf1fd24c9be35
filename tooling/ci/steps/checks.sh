#!/usr/bin/env bash
# Static checks: lint, committed secrets, types, the production-readiness gate.
#   READINESS_FORMAT=github  annotates the pull request (GitHub CI); default is text.
source "$(dirname "$0")/lib.sh"
step "lint"
npm run lint
step "secrets (secretlint)"
npm run secrets:check
step "typecheck"
npx turbo run typecheck --concurrency="$TURBO_CONCURRENCY"
step "readiness (production gates)"
npm run --silent readiness -- --format "${READINESS_FORMAT:-text}"
