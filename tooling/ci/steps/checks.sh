#!/usr/bin/env bash
# Static checks: lint, committed secrets, types, the API contract, the production-readiness gate.
#   READINESS_FORMAT=github  annotates the pull request (GitHub CI); default is text.
#   API_BASE_REF=<git ref>   what each apps/*/openapi.json is compared with for breaking
#                            changes (GitHub CI: the pull request's base); default HEAD.
source "$(dirname "$0")/lib.sh"
step "lint"
npm run lint
step "secrets (secretlint)"
npm run secrets:check
step "typecheck"
npx turbo run typecheck --concurrency="$TURBO_CONCURRENCY"
step "API contract (Spectral + OWASP ruleset; breaking changes against ${API_BASE_REF:-HEAD})"
npm run --silent api:check
step "readiness (production gates)"
npm run --silent readiness -- --format "${READINESS_FORMAT:-text}"
