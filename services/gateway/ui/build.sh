#!/usr/bin/env bash
# Build the web UI into services/gateway/tm_gateway/static/dist (served by the gateway at /).
# Idempotent: skips when no source is newer than the built index.html; `--force` rebuilds.
# Runs `npm ci` when node_modules is missing or older than package-lock.json.
set -euo pipefail

UI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIST="$UI_DIR/../tm_gateway/static/dist"
STAMP="$DIST/index.html"
SOURCES=(src index.html package.json package-lock.json vite.config.ts tsconfig.json build.sh)

cd "$UI_DIR"
if [[ "${1:-}" != "--force" && -f "$STAMP" ]]; then
  newer="$(find "${SOURCES[@]}" -newer "$STAMP" -print -quit)"
  if [[ -z "$newer" ]]; then
    echo "ui: up to date ($DIST)"
    exit 0
  fi
fi

if ! command -v npm >/dev/null; then
  echo "ui: npm not found; install Node.js >= 20.19 to build the UI" >&2
  exit 1
fi
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "ui: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "ui: building into $DIST"
npm run --silent build
