#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test suite:
#   1. unit tests (GoogleTest via ctest)
#   2. integration tests: the real binary on loopback, driven over HTTP (node --test)
# Real-data tests read ../shared/data and skip with a note when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh dev

echo "== unit tests"
ctest --test-dir build/dev --output-on-failure -j 2

echo "== integration tests (real binary on 127.0.0.1)"
HELPLINE_BIN="$PWD/build/dev/helpline" node --test --test-concurrency=2 tests/integration/
