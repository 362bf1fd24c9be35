#!/usr/bin/env bash
# CD deploys only what CI passed: fails unless the ci workflow succeeded for this commit.
#   GH_TOKEN=... GITHUB_REPOSITORY=owner/repo require-ci-success.sh <sha>
set -euo pipefail
sha="${1:?usage: require-ci-success.sh <commit-sha>}"
[[ "$sha" =~ ^[0-9a-f]{40}$ ]] || { echo "require-ci-success: not a commit SHA: $sha" >&2; exit 2; }
runs="$(gh api "repos/${GITHUB_REPOSITORY:?}/actions/workflows/ci.yml/runs?head_sha=${sha}&status=success&per_page=1" --jq '.total_count')"
if [[ "$runs" -lt 1 ]]; then
  echo "::error::ci.yml has no successful run for ${sha}; CD deploys only commits CI passed"
  exit 1
fi
echo "ci.yml passed for ${sha}"
