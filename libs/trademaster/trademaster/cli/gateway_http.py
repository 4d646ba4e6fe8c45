"""The gateway's own HTTP API for CLI commands with no gRPC service behind them (``trademaster
audit ...``: the action audit is the gateway's; ``alerts`` sits next to it): a URL plus bearer
token, API errors as ClickExceptions.

The URL comes from ``--url``, else ``TM_URL``, else the saved login, else the local stack; the
token from ``--token``, else ``TM_TOKEN``, else the file ``trademaster login`` wrote.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import click

from trademaster.cli.jobs import TIMEOUT_S, _saved

DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Gateway:
    """A gateway URL and the bearer token to call it with."""

    url: str
    token: str

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """JSON of a 2xx answer; otherwise a ClickException with the API's error message."""
        reply = self._send(method, path, **kwargs)
        return None if reply.status_code == 204 else reply.json()

    def download(self, path: str, **kwargs: Any) -> bytes:
        """Body of a 2xx answer to a GET, as bytes (a CSV zip, an HTML page)."""
        return bytes(self._send("GET", path, **kwargs).content)

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            reply = httpx.request(
                method, f"{self.url}{path}", headers=headers, timeout=TIMEOUT_S, **kwargs
            )
        except httpx.HTTPError as error:
            raise click.ClickException(
                f"cannot reach the gateway at {self.url}: {error}"
            ) from error
        if reply.is_success:
            return reply
        try:
            body = reply.json()["error"]
            message = f"{body['message']} ({body['reason']}, HTTP {reply.status_code})"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {reply.status_code}: {reply.text[:200]}"
        raise click.ClickException(message)


def gateway_for(url: str | None, token: str | None) -> Gateway:
    """The gateway to call from the options, the environment or the saved login."""
    saved = _saved()
    resolved_url = (url or os.environ.get("TM_URL") or saved.get("url") or DEFAULT_URL).rstrip("/")
    resolved_token = token or os.environ.get("TM_TOKEN") or saved.get("access_token") or ""
    if not resolved_token:
        raise click.UsageError("no token: pass --token, set TM_TOKEN or run 'trademaster login'")
    return Gateway(resolved_url, str(resolved_token))


url_option = click.option("--url", help=f"Gateway URL (env TM_URL; default {DEFAULT_URL}).")
