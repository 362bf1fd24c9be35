#!/usr/bin/env bash
# Rolls a release back to the previous (or a chosen) Helm revision. Used by the rollback
# workflow and by CI's kind job, which installs, upgrades to a broken release and rolls back.
#   RELEASE=where2eat NAMESPACE=where2eat TARGET=staging|production [REVISION=N] rollback.sh
# In production the Rollout's canary in flight is aborted first; helm cannot wait on a
# Rollout, so production is watched with the Argo Rollouts plugin afterwards.
set -euo pipefail
: "${RELEASE:?RELEASE is required}" "${NAMESPACE:?NAMESPACE is required}" "${TARGET:?TARGET is required}"
HELM="${HELM:-helm}"
REVISION="${REVISION:-}"
case "$TARGET" in
  staging | production | ci) ;;
  *) echo "rollback: TARGET must be staging, production or ci, got \"$TARGET\"" >&2; exit 2 ;;
esac
if [[ -n "$REVISION" && ! "$REVISION" =~ ^[1-9][0-9]*$ ]]; then
  echo "rollback: REVISION must be a positive revision number (see helm history), got \"$REVISION\"" >&2
  exit 2
fi

args=(rollback "$RELEASE")
[[ -z "$REVISION" ]] || args+=("$REVISION")
args+=(-n "$NAMESPACE" --timeout 10m)
if [[ "$TARGET" == production ]]; then
  kubectl argo rollouts abort "$RELEASE" -n "$NAMESPACE" || true
else
  args+=(--wait)
fi
echo "rollback: $HELM ${args[*]}"
"$HELM" "${args[@]}"
"$HELM" history "$RELEASE" -n "$NAMESPACE" --max 5
if [[ "$TARGET" == production ]]; then
  kubectl argo rollouts status "$RELEASE" -n "$NAMESPACE" --timeout 20m
fi
