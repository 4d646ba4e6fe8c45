"""Quota arithmetic: which limit applies to a caller, when it refuses, what the refusal says."""

from __future__ import annotations

import grpc
import pytest
from pydantic import ValidationError
from trademaster.service.auth import Role
from trademaster.service.quotas import QUOTA_EXCEEDED, Quota

pytestmark = pytest.mark.unit

QUOTA = Quota(default=2, roles={"researcher": 3, "admin": 20}, users={"alice": 5})


def test_user_entry_wins_over_roles() -> None:
    limit = QUOTA.limit_for("alice", {Role.ADMIN})

    assert (limit.limit, limit.source) == (5, "user alice")


def test_most_generous_role_applies() -> None:
    limit = QUOTA.limit_for("bob", {Role.RESEARCHER, Role.ADMIN})

    assert (limit.limit, limit.source) == (20, "role admin")


def test_default_then_fallback_then_unlimited() -> None:
    assert QUOTA.limit_for("carol", {Role.VIEWER}).limit == 2
    assert Quota().limit_for("carol", {Role.VIEWER}, fallback=4).limit == 4
    assert Quota(default=1).limit_for("carol", (), fallback=4).limit == 1
    unlimited = Quota().limit_for("carol", ())
    assert unlimited.limit is None
    assert unlimited.allows(10**9, 10**9)


def test_allows_up_to_the_limit_and_not_one_more() -> None:
    limit = QUOTA.limit_for("bob", {Role.RESEARCHER})

    assert limit.allows(2)
    assert not limit.allows(3)
    assert limit.allows(1.5, 1.5)
    assert not limit.allows(1.5, 1.6)


def test_zero_limit_refuses_everything() -> None:
    assert not Quota(default=0).limit_for("x", ()).allows(0)


def test_refusal_names_the_quota_limit_source_and_use() -> None:
    error = QUOTA.limit_for("bob", {Role.RESEARCHER}).refusal(
        "jobs", "concurrent training jobs", 3, "wait for a job to finish"
    )

    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.reason == QUOTA_EXCEEDED
    assert error.message == (
        "quota: 3 concurrent training jobs for role researcher (3 in use); wait for a job to finish"
    )
    assert error.metadata == {
        "quota": "jobs",
        "limit": "3",
        "in_use": "3",
        "source": "role researcher",
    }


def test_unknown_role_or_negative_limit_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="unknown roles \\['wizard'\\]"):
        Quota(roles={"wizard": 1})
    with pytest.raises(ValidationError, match="limits must be >= 0"):
        Quota(users={"alice": -1})
    with pytest.raises(ValidationError, match="default"):
        Quota(default=-1)


def test_quota_parses_from_json_like_the_environment() -> None:
    quota = Quota.model_validate_json('{"default": 3, "roles": {"admin": 20}}')

    assert quota.limit_for("x", {Role.ADMIN}).limit == 20
