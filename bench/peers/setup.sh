#!/usr/bin/env bash
# Create bench/.peers-venv: the peers (Stable-Baselines3, gym-anytrading, vectorbt, backtesting.py,
# backtrader) next to an editable trademaster, in a venv separate from the project's .venv so
# their pins never touch uv.lock. Uses the local CPU torch wheel when /opt/wheels has one (SB3
# would otherwise pull the ~3 GB CUDA build). Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/bench/.peers-venv"
export UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
[ -x "$venv/bin/python" ] || uv venv --quiet --python 3.11 "$venv"
torch_req="torch"
wheel="$(ls /opt/wheels/torch-2.13.0+cpu-*.whl 2>/dev/null | head -n1 || true)"
[ -n "$wheel" ] && torch_req="$wheel"
uv pip install --quiet --python "$venv/bin/python" "$torch_req" \
  "stable-baselines3==2.9.2" "gym-anytrading==2.0.0" "vectorbt==1.2.0" "backtesting==0.6.6" \
  "backtrader==1.9.78.123" "threadpoolctl>=3.5" -e "$root/libs/trademaster[rl]"
echo "$venv/bin/python"
