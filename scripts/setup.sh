#!/usr/bin/env bash
# Installs everything Helpline needs to build, run and test on Debian 12.
# Idempotent and non-interactive: safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql libsodium-dev libvips-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  nodejs chromium curl ca-certificates nginx-light
)
# npm ships inside some nodejs builds (NodeSource); Debian's own nodejs needs the npm package.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: system packages already installed"
fi

# Browser and protocol test tools from npm (playwright-core drives Debian's chromium; no browser download).
if [ -f package.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  fi
fi
