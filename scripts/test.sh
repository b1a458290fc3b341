#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test suite:
#   1. unit tests (GoogleTest via ctest)
#   2. integration tests: the real binary on loopback, driven over HTTP and WebSocket (node --test),
#      on SQLite, then again on PostgreSQL (a throwaway cluster from scripts/pg.sh)
#   3. browser tests: Playwright driving Debian's chromium, two users at once
#   4. the unit and integration suites again, built with AddressSanitizer + UBSan
#   5. each fuzz target briefly (HELPLINE_FUZZ_SECONDS, default 60), after replaying fuzz/regressions
# Real-data tests read ../shared/data and skip with a note when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh dev

# Every suite's own summary goes to this log too, for the closing count line.
summary="$(mktemp /tmp/helpline-test-summary.XXXXXX)"
log() { tee -a "$summary"; }

echo "== unit tests"
ctest --test-dir build/dev --output-on-failure -j 2 | log

echo "== integration tests (real binary on 127.0.0.1)"
HELPLINE_BIN="$PWD/build/dev/helpline" node --test --test-concurrency=2 tests/integration/ | log

echo "== integration tests on PostgreSQL (throwaway cluster on 127.0.0.1)"
pg_dir="$(mktemp -d /tmp/helpline-pg.XXXXXX)"
trap 'scripts/pg.sh stop "$pg_dir"' EXIT
pg_port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
pg_url="$(scripts/pg.sh start "$pg_dir" "$pg_port")"
HELPLINE_TEST_PG_URL="$pg_url" HELPLINE_BIN="$PWD/build/dev/helpline" node --test --test-concurrency=2 tests/integration/ | log
scripts/pg.sh stop "$pg_dir"
trap - EXIT

echo "== browser tests (chromium, headless)"
HELPLINE_BIN="$PWD/build/dev/helpline" node --test --test-concurrency=1 tests/e2e/ | log

echo "== sanitizers: unit and integration tests under ASan + UBSan"
scripts/build.sh asan
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build/asan --output-on-failure -j 2 | log
# Slower binary: fewer crash rounds and longer start-up allowance; same assertions.
HELPLINE_BIN="$PWD/build/asan/helpline" HELPLINE_CRASH_ROUNDS=10 HELPLINE_TEST_START_TIMEOUT_MS=60000 \
  node --test --test-concurrency=2 tests/integration/ | log

echo "== fuzzers (libFuzzer, clang, ASan + UBSan), ${HELPLINE_FUZZ_SECONDS:-60} s each"
scripts/fuzz.sh "${HELPLINE_FUZZ_SECONDS:-60}"

# One closing line over every suite above (ctest's "N tests failed out of M" and node's
# "# pass N" / "# fail N"); a failure would have stopped the script before this.
passed=$(awk '/^# pass [0-9]+$/ {s += $3} /tests failed out of/ {s += $NF - $(NF-5)} END {print s + 0}' "$summary")
failed=$(awk '/^# fail [0-9]+$/ {s += $3} /tests failed out of/ {s += $(NF-5)} END {print s + 0}' "$summary")
rm -f "$summary"
echo "suites: ${passed} passed, ${failed} failed"
