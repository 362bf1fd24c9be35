#!/usr/bin/env bash
# Scans an image (a local tag or registry reference) with Trivy and fails on fixable findings
# at or above the one threshold CI and CD share: tooling/ci/vulnerability-threshold.
#   scan-image.sh <image-ref>    (GitHub runners: Trivy's pinned container image)
# Trivy is not obtainable on the machine that runs .ci/run, so only GitHub CI and CD run this.
set -euo pipefail
ref="${1:?usage: scan-image.sh <image-ref>}"
threshold="$(tr -d '[:space:]' < "$(dirname "$0")/../vulnerability-threshold")"
[[ "$threshold" =~ ^(LOW|MEDIUM|HIGH|CRITICAL)(,(LOW|MEDIUM|HIGH|CRITICAL))*$ ]] || {
  echo "scan-image: vulnerability-threshold must list severities like HIGH,CRITICAL, got \"$threshold\"" >&2
  exit 2
}
echo "scan-image: failing on fixable $threshold findings in $ref"
docker run --rm -v /var/run/docker.sock:/var/run/docker.sock \
  -e TRIVY_USERNAME -e TRIVY_PASSWORD aquasec/trivy:0.65.0 \
  image --quiet --scanners vuln --ignore-unfixed --severity "$threshold" --exit-code 1 "$ref"
