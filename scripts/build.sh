#!/usr/bin/env bash
# Configures (once) and builds Helpline. Usage: scripts/build.sh [dev|asan] [targets...]
# dev = RelWithDebInfo in build/dev; asan = AddressSanitizer + UBSan in build/asan.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"; shift || true
dir="build/$preset"
case "$preset" in
  dev)  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DHELPLINE_SANITIZE=ON) ;;
  *) echo "unknown build '$preset' (dev|asan)" >&2; exit 2 ;;
esac
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
fi
# Beast translation units need ~1 GB each; two jobs fit the 2-core machine.
ninja -C "$dir" -j "${HELPLINE_JOBS:-2}" "$@"
