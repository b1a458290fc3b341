#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a set time.
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default 60 s, all targets)
# First every file in fuzz/regressions/<target>/ is replayed (what the fuzzers found
# once stays fixed), then each target fuzzes from fuzz/seeds/<target>/ plus, when it
# is there, the real data in ../shared/data. A crash stops the script with its input
# saved under build/fuzz/artifacts/<target>/: fix it, then copy the input into
# fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(multipart json_requests ws_frames image)
dir=build/fuzz
if [ ! -f "$dir/build.ninja" ]; then
  CXX=clang++ cmake -S fuzz -B "$dir" -G Ninja >/dev/null
fi
ninja -C "$dir" -j "${HELPLINE_JOBS:-2}" $(printf 'fuzz_%s ' "${targets[@]}")

shared=../shared/data
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"  # libvips and SQLite keep process-wide caches
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for t in "${targets[@]}"; do
  bin="$dir/fuzz_$t"
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    echo "== fuzz $t: replaying fuzz/regressions/$t"
    "$bin" -runs=1 fuzz/regressions/$t/* >"$dir/replay_$t.log" 2>&1 || { tail -n 60 "$dir/replay_$t.log"; exit 1; }
  fi
  corpus="$dir/corpus/$t"
  mkdir -p "$corpus" "$dir/artifacts/$t"
  cp -n fuzz/seeds/$t/* "$corpus/" 2>/dev/null || true
  if [ "$t" = image ]; then
    if [ -d "$shared" ]; then
      for f in "$shared"/screenshots/* "$shared"/photos/* "$shared"/malformed/*; do
        # Large photos make slow runs; the small ones and every malformed file are the useful seeds.
        [ "$(stat -c %s "$f")" -le 2000000 ] && cp -n "$f" "$corpus/" || true
      done
    else
      echo "note: $shared is absent; the image fuzzer starts from fuzz/seeds/image only"
    fi
  fi
  max_len=65536
  [ "$t" = image ] && max_len=2000000  # whole screenshots, not their first 64 KiB
  echo "== fuzz $t: ${seconds}s"
  log="$dir/fuzz_$t.log"
  status=0
  "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len="$max_len" \
    -artifact_prefix="$dir/artifacts/$t/" -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
  grep -E "INITED|DONE|stat::number_of_executed_units|stat::peak_rss" "$log" || true
  if [ "$status" -ne 0 ]; then
    grep -A40 -E "ERROR|SUMMARY" "$log" | head -80
    echo "fuzz $t FAILED (exit $status): the input is in $dir/artifacts/$t/, the log in $log"
    exit 1
  fi
done
