#!/usr/bin/env bash
# The apps the pipeline builds, scans, smoke-tests, renders, installs and deploys, as a JSON
# array for a GitHub Actions matrix: every apps/<name> with a Dockerfile and a chart values file
# infra/helm/values/<name>.yaml. A generated app has both, so it is in the matrix of ci.yml and
# cd.yml without a workflow edit.
source "$(dirname "$0")/lib.sh"
names=()
for dir in apps/*/; do
  name=$(basename "$dir")
  if [ -f "apps/$name/Dockerfile" ] && [ -f "infra/helm/values/$name.yaml" ]; then
    names+=("\"$name\"")
  fi
done
(
  IFS=,
  printf '[%s]\n' "${names[*]}"
)
