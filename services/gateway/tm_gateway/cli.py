"""Admin CLI working on the identity database directly (settings from ``TM_GATEWAY_*``)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from trademaster.service.auth import Role
from trademaster.service.authz import SCOPES
from trademaster.service.errors import DomainError
from trademaster.service.settings import load_settings

from tm_gateway.config import IdentitySettings
from tm_gateway.server import open_identity

ROLE_NAMES = [r.value for r in Role]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tm_gateway", description=__doc__)
    groups = parser.add_subparsers(dest="group", required=True)

    users = groups.add_parser("users", help="manage users").add_subparsers(
        dest="cmd", required=True
    )
    create = users.add_parser("create", help="create a user")
    create.add_argument("--username", required=True)
    create.add_argument("--role", action="append", required=True, choices=ROLE_NAMES)
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    users.add_parser("list", help="list users")

    tokens = groups.add_parser("tokens", help="manage service tokens").add_subparsers(
        dest="cmd", required=True
    )
    tcreate = tokens.add_parser("create", help="create a service token (printed once)")
    tcreate.add_argument("--name", required=True)
    tcreate.add_argument("--role", action="append", default=[], choices=ROLE_NAMES)
    tcreate.add_argument(
        "--scope",
        action="append",
        default=[],
        choices=sorted(SCOPES),
        help="resource:action the token may do (repeatable); with scopes, roles are ignored",
    )
    tcreate.add_argument("--ttl-days", type=float, default=30.0)
    tlist = tokens.add_parser("list", help="list service tokens")
    tlist.add_argument("--all", action="store_true", help="include revoked and expired tokens")
    revoke = tokens.add_parser("revoke", help="revoke a service token")
    revoke.add_argument("token_id")
    return parser


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("repeat password: ") != first:
        raise SystemExit("passwords differ")
    return first


async def _run(args: argparse.Namespace, settings: IdentitySettings) -> None:
    pool, identity = await open_identity(settings)
    try:
        if args.group == "users" and args.cmd == "create":
            password = _read_password(args.password_stdin)
            user = await identity.create_user(args.username, password, args.role)
            print(f"created user {user.username} id={user.id} roles={','.join(user.roles)}")
        elif args.group == "users":
            users, _ = await identity.list_users(page_size=500)
            for user in users:
                state = " (disabled)" if user.disabled else ""
                print(f"{user.id}  {user.username:<24} {','.join(user.roles)}{state}")
        elif args.cmd == "create":
            record, token = await identity.create_service_token(
                args.name, args.role, args.ttl_days * 86400, scopes=args.scope
            )
            print(f"token id={record.id} name={record.name} expires={record.expires_at:%Y-%m-%d}")
            print(token)
        elif args.cmd == "list":
            tokens, _ = await identity.list_service_tokens(page_size=500, show_inactive=args.all)
            for t in tokens:
                state = "revoked" if t.revoked else f"expires {t.expires_at:%Y-%m-%d}"
                rights = ",".join(t.scopes or t.roles)
                print(f"{t.id}  {t.name:<24} {rights:<24} {state}")
        else:
            record = await identity.revoke_service_token(args.token_id)
            print(f"revoked token id={record.id} name={record.name}")
    finally:
        await identity.close()
        await pool.close()


def run_cli(argv: list[str]) -> int:
    """Parse ``argv`` and run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    settings = load_settings(IdentitySettings)
    try:
        asyncio.run(_run(args, settings))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        for field, description in error.field_violations():
            print(f"  {field}: {description}", file=sys.stderr)
        return 1
    return 0
