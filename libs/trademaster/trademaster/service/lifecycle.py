"""The one job state machine: a state enum, the user actions, and a transition table per kind.

Every long-running resource (training job, backtest, and next trading deployments) moves through
the same :class:`JobState` values; a :class:`Lifecycle` says which moves one kind allows and which
user actions each state offers. Stores derive the ``WHERE state = ANY(...)`` guard of each update
from the table (:meth:`Lifecycle.sources`), servicers check requests against it
(:meth:`Lifecycle.require`), and APIs return :meth:`Lifecycle.actions` so clients show exactly the
buttons the server accepts. An edge the table forbids raises :class:`IllegalTransition`, a
``FAILED_PRECONDITION`` with reason ``INVALID_JOB_STATE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from trademaster.api.common.v1 import common_pb2
from trademaster.service.errors import FailedPrecondition

__all__ = [
    "BACKTEST",
    "DEPLOYMENT",
    "TRAINING_JOB",
    "IllegalTransition",
    "JobAction",
    "JobState",
    "Lifecycle",
]


class JobState(StrEnum):
    """Lifecycle state of a job of any kind (names match the proto enums without prefix)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"


class JobAction(StrEnum):
    """What a user may ask of a job (names match ``common.v1.JobAction`` without prefix)."""

    PAUSE = "PAUSE"
    RESUME = "RESUME"
    CANCEL = "CANCEL"


class IllegalTransition(FailedPrecondition):
    """A move or an action the job's lifecycle does not allow in its current state."""

    default_reason = "INVALID_JOB_STATE"


_PAST = {JobAction.PAUSE: "paused", JobAction.RESUME: "resumed", JobAction.CANCEL: "cancelled"}


@dataclass(frozen=True)
class Lifecycle:
    """Transition table and per-state actions of one kind of job (``kind`` names it in errors)."""

    kind: str
    transitions: Mapping[JobState, frozenset[JobState]]
    actions_by_state: Mapping[JobState, tuple[JobAction, ...]] = field(default_factory=dict)
    initial: JobState = JobState.QUEUED

    def __post_init__(self) -> None:
        known = set(self.transitions)
        for old, targets in self.transitions.items():
            if not targets <= known:
                raise ValueError(f"{self.kind}: {old} leads to states without a row")
        if not set(self.actions_by_state) <= known or self.initial not in known:
            raise ValueError(f"{self.kind}: actions or initial state name unknown states")

    @property
    def states(self) -> frozenset[JobState]:
        return frozenset(self.transitions)

    @property
    def final(self) -> frozenset[JobState]:
        """States with no way out (results are fixed)."""
        return frozenset(s for s, targets in self.transitions.items() if not targets)

    @property
    def active(self) -> frozenset[JobState]:
        """States that still hold a slot (everything not final)."""
        return self.states - self.final

    def can(self, old: str, new: str) -> bool:
        """Whether the table has the edge ``old → new``."""
        return JobState(new) in self.transitions.get(JobState(old), frozenset())

    def sources(self, new: str, expected: Iterable[str] | None = None) -> list[str]:
        """The states (plain strings, for SQL) a guarded update to ``new`` may move from, sorted.

        With ``expected`` (what the caller saw), only those; every one must be a legal source,
        else :class:`IllegalTransition` (a caller asking for a forbidden edge is a bug or a
        stale read, never silently allowed).
        """
        target = JobState(new)
        if target not in self.transitions:
            raise IllegalTransition(f"{target} is not a state of a {self.kind}")
        legal = {s for s, targets in self.transitions.items() if target in targets}
        if expected is None:
            return sorted(s.value for s in legal)
        wanted = {JobState(s) for s in expected}
        forbidden = wanted - legal
        if forbidden:
            raise IllegalTransition(
                f"a {self.kind} cannot move from {', '.join(sorted(forbidden))} to {target}",
                metadata={"state": ",".join(sorted(forbidden)), "target": str(target)},
            )
        return sorted(s.value for s in wanted)

    def check(self, old: str, new: str) -> None:
        """Raise :class:`IllegalTransition` unless ``old → new`` is in the table."""
        self.sources(new, [old])

    def actions(self, state: str) -> tuple[JobAction, ...]:
        """The user actions the service accepts now, in table order."""
        return self.actions_by_state.get(JobState(state), ())

    def action_values(self, state: str) -> list[int]:
        """:meth:`actions` as ``common.v1.JobAction`` enum values for a job message."""
        return [common_pb2.JobAction.Value(f"JOB_ACTION_{a.value}") for a in self.actions(state)]

    def states_allowing(self, action: JobAction) -> tuple[JobState, ...]:
        return tuple(s for s, acts in self.actions_by_state.items() if action in acts)

    def require(self, state: str, action: JobAction, ident: object) -> None:
        """Raise :class:`IllegalTransition` unless ``action`` is allowed in ``state``."""
        if action in self.actions(state):
            return
        allowed = ", ".join(self.states_allowing(action)) or "no state"
        verb = action.value.lower()
        raise IllegalTransition(
            f"cannot {verb} {self.kind} {ident} in state {state}; "
            f"only {self.kind}s in {allowed} can be {_PAST[action]}",
            metadata={"state": str(state), "action": action.value},
        )


_S = JobState
_A = JobAction

TRAINING_JOB = Lifecycle(
    kind="training job",
    transitions={
        # scheduled, paused before it started, cancelled, or no GPU for a GPU-only job
        _S.QUEUED: frozenset({_S.RUNNING, _S.PAUSED, _S.CANCELLED, _S.FAILED}),
        # checkpointed on request, crashed and requeued (or submission failed), reported an end,
        # cancel requested
        _S.RUNNING: frozenset(
            {_S.PAUSED, _S.QUEUED, _S.SUCCEEDED, _S.FAILED, _S.CANCELLING, _S.CANCELLED}
        ),
        _S.PAUSED: frozenset({_S.QUEUED, _S.CANCELLED}),
        # the run stopped, or finished before the stop took effect
        _S.CANCELLING: frozenset({_S.CANCELLED, _S.SUCCEEDED}),
        _S.SUCCEEDED: frozenset(),
        _S.FAILED: frozenset(),
        _S.CANCELLED: frozenset(),
    },
    actions_by_state={
        _S.QUEUED: (_A.PAUSE, _A.CANCEL),
        _S.RUNNING: (_A.PAUSE, _A.CANCEL),
        _S.PAUSED: (_A.RESUME, _A.CANCEL),
    },
)
"""Training jobs: pause = checkpoint and release the cluster; resume = queue again."""

BACKTEST = Lifecycle(
    kind="backtest",
    transitions={
        # a worker started it, it was cancelled before, it failed or finished before reporting
        _S.QUEUED: frozenset({_S.RUNNING, _S.CANCELLED, _S.FAILED, _S.SUCCEEDED}),
        # requeued when a restarted service recovers it
        _S.RUNNING: frozenset({_S.SUCCEEDED, _S.FAILED, _S.CANCELLING, _S.CANCELLED, _S.QUEUED}),
        _S.CANCELLING: frozenset({_S.CANCELLED}),
        _S.SUCCEEDED: frozenset(),
        _S.FAILED: frozenset(),
        _S.CANCELLED: frozenset(),
    },
    actions_by_state={_S.QUEUED: (_A.CANCEL,), _S.RUNNING: (_A.CANCEL,)},
)
"""Backtests: no pause; a cancel of a running one goes through CANCELLING."""

DEPLOYMENT = Lifecycle(
    kind="deployment",
    transitions={
        # its runner was submitted, it was stopped before, or the submission was refused
        _S.QUEUED: frozenset({_S.RUNNING, _S.CANCELLED, _S.FAILED}),
        # pause/resume keep the runner (it follows bars, places no orders); a crashed runner is
        # resubmitted in place; stop goes through CANCELLING while it flattens and ends
        _S.RUNNING: frozenset({_S.PAUSED, _S.CANCELLING, _S.CANCELLED, _S.FAILED}),
        _S.PAUSED: frozenset({_S.RUNNING, _S.CANCELLING, _S.CANCELLED, _S.FAILED}),
        _S.CANCELLING: frozenset({_S.CANCELLED, _S.FAILED}),
        _S.FAILED: frozenset(),
        _S.CANCELLED: frozenset(),
    },
    actions_by_state={
        _S.QUEUED: (_A.CANCEL,),
        _S.RUNNING: (_A.PAUSE, _A.CANCEL),
        _S.PAUSED: (_A.RESUME, _A.CANCEL),
    },
)
"""Deployments: pause = stop placing orders (the runner stays); cancel = stop (optionally
flattening through the risk service)."""
