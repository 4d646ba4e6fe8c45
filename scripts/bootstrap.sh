#!/usr/bin/env bash
# Create/refresh .venv from uv.lock. Idempotent and fast when nothing changed.
# On machines that ship a local CPU torch wheel (/opt/wheels), that wheel replaces the CUDA
# build from the lock (saves ~3 GB); elsewhere the locked torch is installed as is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv (pip install uv)"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
stamp=".venv/.tm-installed"
want="$(cat uv.lock pyproject.toml libs/*/pyproject.toml clients/*/pyproject.toml services/*/pyproject.toml | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv (Python 3.11)"
  uv venv --quiet --python 3.11 .venv
fi
req="$(mktemp)"
uv export --quiet --frozen --all-packages --all-extras --group dev --group local --no-hashes --no-header \
  --no-annotate -o "$req" >/dev/null
cpu_wheel="$(ls /opt/wheels/torch-2.13.0+cpu-*.whl 2>/dev/null | head -n1 || true)"
if [ -n "$cpu_wheel" ]; then
  grep -vE '^(torch==|triton==|nvidia-|cuda-)' "$req" > "$req.cpu"
  echo "$cpu_wheel" >> "$req.cpu"
  mv "$req.cpu" "$req"
fi
echo "bootstrap: installing $(grep -c '==' "$req") locked packages into .venv" \
  "(first run ~1-3 min: torch, ray, and bundled PostgreSQL/Redis/Node.js for machines without them)"
uv pip install --python .venv/bin/python -r "$req"
rm -f "$req"
echo "$want" > "$stamp"
echo "bootstrap: .venv ready"
