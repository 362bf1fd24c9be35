#!/usr/bin/env bash
# Delivery, executed with the real tools: build every app's image with podman and run it
# against PostgreSQL (DATABASE_URL), then the canary drill (real Prometheus, the chart's
# AnalysisTemplate rendered by helm). Chart and compose checks run inside `npm test`.
source "$(dirname "$0")/lib.sh"
: "${DATABASE_URL:?delivery.sh needs DATABASE_URL: the image runs against a real PostgreSQL}"
step "image: base, build, size, layers, SBOM"
npm run --silent image -w @micro-app/image-tool
step "image: run and check every app's image"
npm run test:image -w @micro-app/image-tool
step "canary drill"
npm run test:drill -w @micro-app/canary-drill
