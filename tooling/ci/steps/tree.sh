#!/usr/bin/env bash
# The tests that copy the whole tree: a generated app built and tested, the renamed scope
# installed and tested, every package packed and installed in a fresh project.
source "$(dirname "$0")/lib.sh"
step "generator, rename and package tarballs (TREE_TESTS=1)"
TREE_TESTS=1 npx turbo run test --filter=@micro-app/infra --concurrency="$TURBO_CONCURRENCY"
