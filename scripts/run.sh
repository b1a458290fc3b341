#!/usr/bin/env bash
# Installs what is needed, builds, and starts Helpline on http://localhost:8080
# with SQLite in ./data. On the first start it prints the agent account to log in with.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh dev helpline
exec build/dev/helpline serve --bind "${HELPLINE_BIND:-127.0.0.1}" --port "${HELPLINE_PORT:-8080}" \
  --data-dir "${HELPLINE_DATA_DIR:-./data}" "$@"
