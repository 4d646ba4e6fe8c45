"""The one job state machine: table sanity, every forbidden edge refused, actions per state."""

from __future__ import annotations

import itertools

import grpc
import pytest
from trademaster.api.common.v1 import common_pb2
from trademaster.service.errors import FailedPrecondition
from trademaster.service.lifecycle import (
    BACKTEST,
    TRAINING_JOB,
    IllegalTransition,
    JobAction,
    JobState,
    Lifecycle,
)

pytestmark = pytest.mark.unit
LIFECYCLES = [TRAINING_JOB, BACKTEST]


def _reachable(lifecycle: Lifecycle) -> set[JobState]:
    seen, todo = {lifecycle.initial}, [lifecycle.initial]
    while todo:
        for nxt in lifecycle.transitions[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda c: c.kind)
def test_every_state_is_reachable_and_final_states_are_the_three_ends(lifecycle: Lifecycle) -> None:
    assert _reachable(lifecycle) == set(lifecycle.states)
    assert lifecycle.final == {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}
    for state in lifecycle.active:
        # Every unfinished job can still end: no state traps a job forever.
        assert lifecycle.can(state, JobState.CANCELLED) or lifecycle.can(
            state, JobState.CANCELLING
        ), state


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda c: c.kind)
def test_every_edge_outside_the_table_is_failed_precondition(lifecycle: Lifecycle) -> None:
    refused = 0
    for old, new in itertools.product(JobState, JobState):
        if old not in lifecycle.states or new not in lifecycle.states:
            continue
        if lifecycle.can(old, new):
            lifecycle.check(old, new)
            assert old in lifecycle.sources(new)
            continue
        with pytest.raises(IllegalTransition) as caught:
            lifecycle.check(old, new)
        assert isinstance(caught.value, FailedPrecondition)
        assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert caught.value.reason == "INVALID_JOB_STATE"
        assert old not in lifecycle.sources(new)
        refused += 1
    assert refused > 0


def test_sources_with_expected_keeps_only_what_the_caller_saw() -> None:
    assert TRAINING_JOB.sources("CANCELLED", ["QUEUED"]) == ["QUEUED"]
    assert TRAINING_JOB.sources("CANCELLED") == ["CANCELLING", "PAUSED", "QUEUED", "RUNNING"]
    with pytest.raises(IllegalTransition, match="SUCCEEDED"):
        TRAINING_JOB.sources("RUNNING", ["QUEUED", "SUCCEEDED"])


def test_actions_follow_the_table() -> None:
    assert TRAINING_JOB.actions("RUNNING") == (JobAction.PAUSE, JobAction.CANCEL)
    assert TRAINING_JOB.actions("PAUSED") == (JobAction.RESUME, JobAction.CANCEL)
    assert BACKTEST.actions("RUNNING") == (JobAction.CANCEL,)
    for lifecycle in LIFECYCLES:
        for state in lifecycle.final:
            assert lifecycle.actions(state) == ()
        for state in lifecycle.states:
            if JobAction.RESUME in lifecycle.actions(state):
                assert lifecycle.can(state, JobState.QUEUED)
            if JobAction.CANCEL in lifecycle.actions(state):
                assert lifecycle.can(state, JobState.CANCELLED) or lifecycle.can(
                    state, JobState.CANCELLING
                )
    assert TRAINING_JOB.action_values("PAUSED") == [
        common_pb2.JOB_ACTION_RESUME,
        common_pb2.JOB_ACTION_CANCEL,
    ]


def test_require_names_the_states_that_allow_the_action() -> None:
    TRAINING_JOB.require("PAUSED", JobAction.RESUME, "j1")
    with pytest.raises(IllegalTransition) as caught:
        TRAINING_JOB.require("SUCCEEDED", JobAction.PAUSE, "j1")
    assert str(caught.value) == (
        "cannot pause training job j1 in state SUCCEEDED; "
        "only training jobs in QUEUED, RUNNING can be paused"
    )
    assert caught.value.metadata == {"state": "SUCCEEDED", "action": "PAUSE"}


def test_a_table_naming_unknown_states_is_rejected() -> None:
    with pytest.raises(ValueError, match="without a row"):
        Lifecycle("x", {JobState.QUEUED: frozenset({JobState.RUNNING})})


def test_a_state_outside_the_kind_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="not a state of a backtest"):
        BACKTEST.sources("PAUSED")
