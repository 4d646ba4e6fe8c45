#!/usr/bin/env bash
# TradeMaster developer entry point: ./tm up | test | lint | help
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

usage() {
  cat <<'USAGE'
Usage: ./tm <command> [args]

  up            Run the platform on this machine: PostgreSQL, Redis, a Ray head and all six
                services on loopback, UI and API at http://127.0.0.1:8080/ (TM_LOCAL_GATEWAY_HTTP_PORT).
                Data, logs and generated secrets live in ./var/ and survive restarts.
                Prints the admin login; Ctrl-C stops everything.
  test [ARGS]   Build the UI when its sources changed (browser tests need it), then run the
                tests with pytest (default: the whole tests/ tree). ARGS go to pytest,
                e.g. ./tm test -m unit, ./tm test tests/integration -x, ./tm test -m "not slow".
  lint          ruff check and ruff format --check on the whole repository, mypy on
                libs/trademaster and services/*/tm_* (generated api/ code excluded), then the
                import-linter layering contracts in .importlinter (core never imports the kit
                or a service; the gateway never imports torch-side code; services never
                import each other).
  help          This text.

Each command first runs scripts/bootstrap.sh (creates/refreshes .venv from uv.lock; fast
when nothing changed). See deploy/local/README.md for ports and environment variables.
USAGE
}

bootstrap() {
  bash scripts/bootstrap.sh
}

build_ui() {
  local ui="services/gateway/ui" dist="services/gateway/tm_gateway/static/dist"
  [ -f "$ui/package.json" ] && [ -x "$ui/build.sh" ] || return 0
  if [ -d "$dist" ] && [ -z "$(find "$ui" -path "$ui/node_modules" -prune -o -type f \
      -newer "$dist" -print -quit)" ]; then
    return 0
  fi
  echo "building the UI ($ui/build.sh)"
  "$ui/build.sh"
}

cmd="${1:-help}"
[ $# -gt 0 ] && shift
case "$cmd" in
  up)
    bootstrap
    build_ui
    exec .venv/bin/python -m trademaster.service.localstack --repo-root "$root" "$@"
    ;;
  test)
    bootstrap
    build_ui
    if [ $# -eq 0 ]; then set -- tests; fi
    exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
    ;;
  lint)
    bootstrap
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy libs/trademaster/trademaster services/*/tm_*
    .venv/bin/lint-imports .importlinter --no-cache
    ;;
  help|-h|--help)
    usage
    ;;
  *)
    echo "unknown command: $cmd" >&2
    usage >&2
    exit 2
    ;;
esac
