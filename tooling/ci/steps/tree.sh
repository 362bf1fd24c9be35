#!/usr/bin/env bash
# The tests that copy the whole tree: a generated app built and tested, the renamed scope
# installed and tested, every package packed and installed in a fresh project. Their task,
# test:tree, is never cached: what they check is the whole repository, not one tool's inputs.
source "$(dirname "$0")/lib.sh"
step "generator, rename and package tarballs (TREE_TESTS=1)"
TREE_TESTS=1 npx turbo run test:tree --concurrency="$TURBO_CONCURRENCY"
