"""What the generator writes, keyed by path: the HTML reference and the client RPC table."""

from __future__ import annotations

from pathlib import Path

from apiref.client_table import render_client_table
from apiref.descriptors import build_descriptor_set, load_api
from apiref.render_html import render_reference
from apiref.servicers import analyse_services

REFERENCE_PATH = Path("services/gateway/tm_gateway/api_reference/index.html")
CLIENT_TABLE_PATH = Path("clients/python/trademaster_client/_rpc_table.py")


def outputs(root: Path) -> dict[Path, str]:
    api = load_api(build_descriptor_set(root / "protos"))
    return {
        root / CLIENT_TABLE_PATH: render_client_table(api),
        root / REFERENCE_PATH: render_reference(api, analyse_services(root, api)),
    }
