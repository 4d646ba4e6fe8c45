"""Fixtures of the e2e tests beyond the session stack in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from trademaster.service.localstack import Stack

TRADING_SERVICES = ("strategy", "notifier", "risk", "gateway")
"""What paper trading needs behind the gateway (no trainer, so no Ray head)."""


@pytest.fixture(scope="session")
def trading_stack(stack_factory: Callable[..., Stack]) -> Stack:
    """The risk service, notifier and gateway with their own database and Redis."""
    return stack_factory(services=TRADING_SERVICES)
