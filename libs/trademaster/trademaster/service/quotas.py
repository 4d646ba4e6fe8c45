"""Quotas that share the cluster fairly: one limit per user, per role, and a default.

A service setting holds a :class:`Quota` (JSON in the environment, e.g.
``TM_TRAINER_QUOTA_JOBS='{"default": 3, "roles": {"admin": 20}, "users": {"alice": 10}}'``).
The limit of a caller is the user's own entry when there is one, else the most generous entry
among the caller's roles, else the default; ``None`` means unlimited. A refusal names the quota,
the limit, where the limit came from and the current use, so the user knows what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trademaster.service.auth import Role
from trademaster.service.errors import ResourceExhausted

QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
"""``ErrorInfo.reason`` of every quota refusal."""


@dataclass(frozen=True)
class QuotaLimit:
    """The limit that applies to one caller and where it came from."""

    limit: float | None
    """None: unlimited."""
    source: str
    """``user <id>``, ``role <name>`` or ``default``."""

    def allows(self, in_use: float, adding: float = 1.0) -> bool:
        """True when ``in_use + adding`` stays within the limit."""
        return self.limit is None or in_use + adding <= self.limit + 1e-9

    def refusal(
        self,
        quota: str,
        what: str,
        in_use: float,
        detail: str = "",
        *,
        reason: str = QUOTA_EXCEEDED,
        use_label: str = "in use",
    ) -> ResourceExhausted:
        """RESOURCE_EXHAUSTED naming the quota, the limit, its source and the use, e.g.
        ``quota: 3 concurrent training jobs for role researcher (3 in use)``."""
        assert self.limit is not None, "an unlimited quota never refuses"
        whose = "by default" if self.source == "default" else f"for {self.source}"
        message = f"quota: {_num(self.limit)} {what} {whose} ({_num(in_use)} {use_label})"
        if detail:
            message = f"{message}; {detail}"
        return ResourceExhausted(
            message,
            reason=reason,
            metadata={
                "quota": quota,
                "limit": _num(self.limit),
                "in_use": _num(in_use),
                "source": self.source,
            },
        )


class Quota(BaseModel):
    """A limit by user, by role, and a default (see the module doc)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: float | None = Field(None, ge=0)
    """Limit of callers with no user or role entry; None is unlimited."""
    roles: dict[str, float] = Field(default_factory=dict)
    """Limit per role name (viewer, researcher, trader, risk_officer, admin)."""
    users: dict[str, float] = Field(default_factory=dict)
    """Limit per user id; wins over the roles."""

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: dict[str, float]) -> dict[str, float]:
        known = {r.value for r in Role}
        unknown = sorted(set(roles) - known)
        if unknown:
            raise ValueError(f"unknown roles {unknown}, expected some of {sorted(known)}")
        return _non_negative(roles)

    @field_validator("users")
    @classmethod
    def _users(cls, users: dict[str, float]) -> dict[str, float]:
        return _non_negative(users)

    def limit_for(
        self, subject: str, roles: Iterable[str], fallback: float | None = None
    ) -> QuotaLimit:
        """The caller's limit; ``fallback`` stands in for an unset default."""
        if subject in self.users:
            return QuotaLimit(self.users[subject], f"user {subject}")
        matched = [(self.roles[r], r) for r in sorted(str(r) for r in roles) if r in self.roles]
        if matched:
            limit, role = max(matched)
            return QuotaLimit(limit, f"role {role}")
        default = self.default if self.default is not None else fallback
        return QuotaLimit(default, "default")


def _non_negative(values: dict[str, float]) -> dict[str, float]:
    bad = {k: v for k, v in values.items() if v < 0}
    if bad:
        raise ValueError(f"limits must be >= 0, had {bad}")
    return values


def _num(value: float) -> str:
    return f"{value:g}"
