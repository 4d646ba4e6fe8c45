"""The generated API reference and the client's RPC table match the protos and the servicers;
every RPC documents its idempotency rule; the reference names every service, RPC, message,
field and enum value of the protos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from apiref.descriptors import build_descriptor_set, load_api  # noqa: E402
from apiref.generate import REFERENCE_PATH  # noqa: E402

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def api():  # type: ignore[no-untyped-def]
    return load_api(build_descriptor_set(ROOT / "protos"))


def test_generated_reference_and_client_table_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_api_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rpc_states_whether_it_is_idempotent(api) -> None:  # type: ignore[no-untyped-def]
    undocumented = [rpc.full_method for rpc in api.rpcs() if rpc.idempotency.kind == "undocumented"]
    keyed = [rpc for rpc in api.rpcs() if rpc.idempotency.kind == "key"]

    assert undocumented == [], "add '// Idempotent: ...' to these rpcs (protos/README.md)"
    for rpc in keyed:
        fields = _fields(api, rpc.input_type)
        assert rpc.idempotency.key_field in fields, (rpc.full_method, rpc.idempotency.key_field)


def _fields(api, message: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Field names of ``message`` and of the messages it holds (keys may sit one level down)."""
    names = set()
    for field in api.messages[message].fields:
        names.add(field.name)
        if field.type_name in api.messages:
            names |= {f.name for f in api.messages[field.type_name].fields}
    return names


def test_reference_names_every_element_of_the_protos(api) -> None:  # type: ignore[no-untyped-def]
    page = (ROOT / REFERENCE_PATH).read_text()

    for service in api.services:
        assert service.full_name in page
        for rpc in service.rpcs:
            assert rpc.full_method in page
    for message in api.messages.values():
        assert f'id="{message.full_name.replace(".", "-")}"' in page
        for field in message.fields:
            assert f"<code>{field.name}</code>" in page
    for enum in api.enums.values():
        for name, _, _ in enum.values:
            assert f"<code>{name}</code>" in page


def test_reference_lists_roles_and_reasons_found_in_the_servicers() -> None:
    page = (ROOT / REFERENCE_PATH).read_text()
    create_user = page.split('id="trademaster-api-identity-v1-IdentityService-CreateUser"')[1]
    create_user = create_user.split('<div class="rpc"')[0]
    login = page.split('id="trademaster-api-identity-v1-IdentityService-Login"')[1]
    login = login.split('<div class="rpc"')[0]

    assert "roles: any of admin" in create_user and "(authorization table)" in create_user
    assert "USERNAME_TAKEN" in create_user
    assert "public: no token needed" in login
    assert "TOKEN_EXPIRED" in page  # every authenticated RPC may answer it


def test_an_authorization_table_in_the_kit_wins_over_the_servicer_scan(
    api, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import types

    from apiref.render_html import render_reference
    from apiref.servicers import AUTHZ_MODULE, analyse_services

    method = "/trademaster.api.trainer.v1.TrainerService/GetClusterStatus"
    fake = types.ModuleType(AUTHZ_MODULE)
    fake.RPC_ROLES = {method: ("admin", "viewer")}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, AUTHZ_MODULE, fake)

    page = render_reference(api, analyse_services(ROOT, api))
    section = page.split('id="trademaster-api-trainer-v1-TrainerService-GetClusterStatus"')[1]

    assert "any of: admin, viewer (authorization table)" in section.split('<div class="rpc"')[0]


def test_the_kits_permission_rows_are_described_with_reach_and_scope(
    api, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import types
    from dataclasses import dataclass

    from apiref.servicers import AUTHZ_MODULE, authorization_table

    @dataclass(frozen=True)
    class Permission:  # the shape of trademaster.service.authz.Permission
        roles: frozenset[str]
        all_owners: frozenset[str]
        owned: bool
        rpcs: frozenset[str]
        scope: str

    method = "/trademaster.api.trainer.v1.TrainerService/GetTrainingJob"
    fake = types.ModuleType(AUTHZ_MODULE)
    fake.TABLE = (  # type: ignore[attr-defined]
        Permission(
            frozenset({"viewer", "admin"}),
            frozenset({"admin"}),
            True,
            frozenset({method}),
            "training_job:read",
        ),
    )
    monkeypatch.setitem(sys.modules, AUTHZ_MODULE, fake)

    assert authorization_table() == {
        method: "roles: any of admin, viewer; own resources only, every owner's for admin; "
        "service tokens need scope training_job:read"
    }
