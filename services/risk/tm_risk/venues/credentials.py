"""Per-account venue credentials, read from a secret file (``TM_RISK_VENUE_SECRETS_FILE``).

The file (mounted from a Kubernetes Secret, mode 0600 on a workstation) maps live accounts,
named ``<owner id>/<account name>``, to their venue and keys; the operator writes the entry, then
the owner creates the account (ACCOUNT_MODE_LIVE, broker ``alpaca`` or ``ccxt``) under that name.
The owner is part of the key, so nobody can bind another user's keys to an account of their own:

    {"accounts": {"user-1/alpaca-main": {"venue": "alpaca", "key_id_env": "ALPACA_KEY_ID",
                                          "secret_env": "ALPACA_SECRET", "paper": true}}}

``key_id`` / ``secret`` may be written inline or named as environment variables with
``key_id_env`` / ``secret_env``. Keys are ``SecretStr``: they print as ``**********``, are never
logged, and nothing in the API returns them (the account message carries the venue name only).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator


class CredentialsError(ValueError):
    """The secret file is unreadable or malformed; the message never contains a secret."""


class VenueCredentials(BaseModel):
    """One account's live venue and keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    venue: Literal["alpaca", "ccxt"]
    key_id: SecretStr
    secret: SecretStr
    exchange: str = Field(default="binance", pattern=r"^[a-z0-9]{2,32}$")
    """The CCXT exchange id (ccxt venues only)."""
    paper: bool = True
    """Alpaca's paper endpoint / the exchange's sandbox (testnet) unless ``base_url`` is set."""
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    """Override of the venue's REST root (a proxy, or the tests' loopback fake venue)."""

    @model_validator(mode="before")
    @classmethod
    def _from_env(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for field in ("key_id", "secret"):
            name = data.pop(f"{field}_env", None)
            if name is not None:
                value = os.environ.get(str(name))
                if not value:
                    raise ValueError(f"{field}_env names {name!r}, which is not set")
                data[field] = value
        return data


def key(owner: str, account_name: str) -> str:
    """The secret file's key of an account."""
    return f"{owner}/{account_name}"


def load(path: Path | None) -> dict[str, VenueCredentials]:
    """Credentials by ``<owner>/<account name>``; empty without a file (no live accounts)."""
    if path is None:
        return {}
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CredentialsError(f"venue secrets file {path}: {type(error).__name__}") from None
    accounts = body.get("accounts") if isinstance(body, dict) else None
    if not isinstance(accounts, dict):
        raise CredentialsError(f"venue secrets file {path}: needs an 'accounts' object")
    result: dict[str, VenueCredentials] = {}
    for name, value in accounts.items():
        owner, _, account = str(name).partition("/")
        if not owner or not account:
            raise CredentialsError(f"venue secrets file {path}: {name!r} is not <owner>/<account>")
        try:
            result[str(name)] = VenueCredentials.model_validate(value)
        except ValidationError as error:
            # field names and messages only: pydantic would echo the input (the secret)
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}"
                for e in error.errors(include_input=False)
            )
            raise CredentialsError(f"venue secrets file {path}: {name!r}: {problems}") from None
    return result
