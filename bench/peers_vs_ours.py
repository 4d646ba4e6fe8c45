"""Ours against the peers in the same run: training, env stepping, backtesting.

Peers: Stable-Baselines3 (DQN, PPO at their defaults), gym-anytrading (env), vectorbt
(vectorized backtest), backtesting.py and backtrader (event-driven backtests). They live in
their own venv (``bash bench/peers/setup.sh``), never in the project's lock. Run with that venv:

    bench/.peers-venv/bin/python bench/peers_vs_ours.py [--rounds 2] [--steps 10000]
        [--device cpu|cuda] [--only CASE,...] [--markdown]

The machine is shared, so every case runs in a fresh process with one torch/BLAS thread, and the
cases are interleaved round by round: a ratio is taken within a round (ours and its peer a few
seconds apart under the same load), and the summary gives the median over rounds, from wall
time and from the process's CPU time over the same timed region (less sensitive to the other
tenants of a shared machine). One JSON line
per measurement, then a summary line (and a markdown table with ``--markdown``).
``--device cuda`` runs our cases on the GPU (the peers stay on CPU, as SB3 is slower on GPU with
these small MLPs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (ours, peer) pairs whose ratio the summary reports.
RATIOS = [
    ("ours_dqn_1env", "sb3_dqn_1env"),
    ("ours_dqn_64env", "sb3_dqn_1env"),
    ("ours_ppo_1env", "sb3_ppo_1env"),
    ("ours_ppo_64env", "sb3_ppo_1env"),
    ("ours_ppo_64env_batch64", "sb3_ppo_1env"),
    ("ours_gym_env", "anytrading_env"),
    ("ours_vec_env_64", "anytrading_env"),
    ("ours_vectorized_sma_1M", "vectorbt_sma_1M"),
    ("ours_event_sma_20k", "backtesting_py_sma_20k"),
    ("ours_event_sma_20k", "backtrader_sma_20k"),
]


def machine() -> dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if "model name" in line]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def run_one(name: str, steps: int, device: str) -> dict[str, object]:
    """Measure one case in this process (the driver calls this in a child)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(limits=1)
    sys.path.insert(0, str(HERE))
    from peers.cases import CPU_MARKS, cases

    group, unit, thunk = cases(steps, device)[name]
    done, seconds = thunk()
    cpu_seconds = CPU_MARKS[-1] - CPU_MARKS[-2]
    return {
        "bench": f"peers_vs_ours.{name}",
        "group": group,
        "value": round(done / seconds, 1),
        "unit": unit,
        "n": done,
        "seconds": round(seconds, 3),
        "value_cpu": round(done / cpu_seconds, 1),
        "cpu_seconds": round(cpu_seconds, 3),
        "device": device if name.startswith("ours") else "cpu",
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def measure(name: str, steps: int, device: str) -> dict[str, object]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(__file__)), "--case", name, "--steps", str(steps)]
    out = subprocess.run(
        [*cmd, "--device", device], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        return {"bench": f"peers_vs_ours.{name}", "error": out.stderr.strip()[-800:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ratios(rounds: list[dict[str, dict[str, object]]], key: str) -> dict[str, float]:
    ratios: dict[str, float] = {}
    for ours, peer in RATIOS:
        per_round = [
            float(r[ours][key]) / float(r[peer][key])  # type: ignore[arg-type]
            for r in rounds
            if key in r.get(ours, {}) and key in r.get(peer, {})
        ]
        if per_round:
            ratios[f"{ours}/{peer}"] = round(statistics.median(per_round), 2)
    return ratios


def summarize(rounds: list[dict[str, dict[str, object]]]) -> dict[str, object]:
    ratios, cpu_ratios = _ratios(rounds, "value"), _ratios(rounds, "value_cpu")
    medians = {
        name: statistics.median(float(r[name]["value"]) for r in rounds if "value" in r[name])  # type: ignore[arg-type]
        for name in rounds[0]
        if all("value" in r[name] for r in rounds)
    }
    summary = {"median_value": medians, "ratio_median": ratios, "cpu_ratio_median": cpu_ratios}
    return {"summary": summary, "machine": machine()}


def markdown(summary: dict[str, object], rounds: list[dict[str, dict[str, object]]]) -> str:
    values = summary["summary"]["median_value"]  # type: ignore[index]
    ratios = summary["summary"]["ratio_median"]  # type: ignore[index]
    cpu_ratios = summary["summary"]["cpu_ratio_median"]  # type: ignore[index]
    loads = [float(m["load_avg_1m"]) for r in rounds for m in r.values() if "load_avg_1m" in m]
    lines = ["| case | median | unit |", "|---|---:|---|"]
    for name, value in values.items():
        unit = rounds[0][name]["unit"]
        lines.append(f"| {name} | {value:,.0f} | {unit} |")
    lines += [
        "",
        "| ours / peer | wall-time ratio | CPU-time ratio |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {pair} | {ratio:.2f}x | {cpu_ratios.get(pair, float('nan')):.2f}x |"
        for pair, ratio in ratios.items()
    ]
    lines += ["", f"load average (1 min) during the cases: {min(loads):.1f}-{max(loads):.1f}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help="measure one case in this process (internal)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10_000, help="training steps per 1-env case")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_one(args.case, args.steps, args.device)))
        return
    sys.path.insert(0, str(HERE))
    from peers.cases import cases

    names = [
        n for n in cases(args.steps, args.device) if not args.only or n in args.only.split(",")
    ]
    rounds: list[dict[str, dict[str, object]]] = []
    for index in range(args.rounds):
        row: dict[str, dict[str, object]] = {}
        for name in names:
            row[name] = {**measure(name, args.steps, args.device), "round": index}
            print(json.dumps(row[name]), flush=True)
        rounds.append(row)
    summary = summarize(rounds)
    print(json.dumps(summary), flush=True)
    if args.markdown:
        print(markdown(summary, rounds))


if __name__ == "__main__":
    main()
