"""Addresses of a running test stack in the forms trademaster-client takes."""

from __future__ import annotations

from trademaster.service.localstack import Stack
from trademaster_client import Endpoints


def stack_endpoints(stack: Stack) -> Endpoints:
    """Every gRPC service of ``stack``; identity is the gateway's gRPC port."""
    gateway_port = stack.services["gateway"].port_file.read_text().strip()
    return Endpoints({**stack.addresses, "identity": f"127.0.0.1:{gateway_port}"})


def client_env(stack: Stack) -> dict[str, str]:
    """``TM_CLIENT_<SERVICE>_ADDR`` variables that point the CLI at ``stack``."""
    return {
        f"TM_CLIENT_{name.upper()}_ADDR": address
        for name, address in stack_endpoints(stack).addresses.items()
    }
