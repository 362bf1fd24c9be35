#!/usr/bin/env bash
# The browser suite (apps/where2eat/e2e, Playwright and Chromium): every spec against the built
# where2eat on embedded PGlite and on PostgreSQL (DATABASE_URL: it creates its own database
# there and drops it), with the dev IdP. Installs nothing: the runner brings Chromium (GitHub:
# npx playwright install --with-deps chromium; .ci/run: install-system-tools.sh browser).
# Screenshots, traces and server logs: apps/where2eat/e2e-results; the HTML report: e2e-report.
source "$(dirname "$0")/lib.sh"
: "${DATABASE_URL:?e2e.sh needs DATABASE_URL: every spec runs on PostgreSQL too}"
step "build where2eat and the dev IdP"
npx turbo run build --filter=@micro-app/where2eat... --filter=@micro-app/dev-idp \
  --concurrency="$TURBO_CONCURRENCY" --output-logs=errors-only
step "browser tests (Chromium; PGlite and PostgreSQL ${DATABASE_URL##*@})"
npm run test:e2e -w @micro-app/where2eat
