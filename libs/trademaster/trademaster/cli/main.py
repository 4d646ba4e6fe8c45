"""``trademaster`` command line. Sub-commands load on first use, so ``trademaster jobs …`` and
``--help`` do not pay for importing torch and matplotlib (about 1.5 s)."""

from __future__ import annotations

import importlib
import logging

import click

_COMMANDS: dict[str, tuple[str, str, str]] = {
    "train": ("trademaster.cli.experiments", "train", "Train an agent on a dataset."),
    "evaluate": ("trademaster.cli.experiments", "evaluate", "Score a finished run on a split."),
    "backtest": ("trademaster.cli.backtest", "backtest", "Backtest a baseline, SMA or run."),
    "datasets": ("trademaster.cli.datasets", "datasets", "Inspect the data files."),
    "login": ("trademaster.cli.jobs", "login", "Log in to a gateway; store the token."),
    "jobs": ("trademaster.cli.jobs", "jobs", "Training jobs on the platform."),
    "risk": ("trademaster.cli.risk", "risk", "Accounts, orders, limits, kill switch."),
    "models": ("trademaster.cli.models", "models", "The model registry on the platform."),
    "alerts": ("trademaster.cli.ops", "alerts", "Alert rules, your alerts, deliveries."),
    "audit": ("trademaster.cli.ops", "audit", "Who did what: the action audit."),
    "compliance": (
        "trademaster.cli.compliance",
        "compliance",
        "Compliance reports of trading accounts (CSV, HTML, JSON).",
    ),
    "deployments": (
        "trademaster.cli.deployments",
        "deployments",
        "Deploy model versions to paper accounts; pause, resume, stop.",
    ),
    "promotions": (
        "trademaster.cli.promotions",
        "promotions",
        "Promotion gates: evaluate, request, approve; gate thresholds.",
    ),
}
"""Command name → (module, attribute, one-line help shown by ``--help``)."""


class LazyGroup(click.Group):
    """A group whose commands are imported only when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, attribute, _ = _COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, _, help_) in _COMMANDS.items()])


@click.group(cls=LazyGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """TradeMaster: train and evaluate RL trading agents on four tasks.

    Tasks: algorithmic_trading (one asset, discrete exposure), portfolio_management (weights over
    many assets), order_execution (sell/buy a quantity on an order book, scored against TWAP),
    high_frequency_trading (masked target positions on an order book).
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)


def main() -> None:
    """Console-script entry point."""
    cli()
