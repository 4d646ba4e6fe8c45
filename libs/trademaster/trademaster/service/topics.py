"""Event topic names, event types and the runner control keys: the one place they are spelled.

Public topics (``training_job/<id>``, ``backtest/<id>``) live on the event bus under
``tm:events:`` and are fanned out by the notifier; only the owning service publishes there, after
it has stored the change. Runners report on the same topic names under the private prefix
:data:`REPORT_STREAM_PREFIX`, which no subscriber can reach.
"""

from __future__ import annotations

__all__ = [
    "BACKTEST_FINISHED",
    "BACKTEST_PROGRESS",
    "CHECKPOINT_SAVED",
    "DEPLOYMENT_PROGRESS",
    "JOB_KIND_BACKTEST",
    "JOB_KIND_TRAINING",
    "JOB_STATE_CHANGED",
    "REPORT_STREAM_PREFIX",
    "TRAINING_FINISHED",
    "TRAINING_PROGRESS",
    "backtest_topic",
    "control_key",
    "deployment_topic",
    "training_job_topic",
]

REPORT_STREAM_PREFIX = "tm:reports:"
"""Redis stream prefix of runner reports (private: the notifier reads ``tm:events:`` only)."""

TRAINING_PROGRESS = "training_progress"
JOB_STATE_CHANGED = "job_state_changed"
CHECKPOINT_SAVED = "checkpoint_saved"
TRAINING_FINISHED = "training_finished"
BACKTEST_PROGRESS = "backtest_progress"
BACKTEST_FINISHED = "backtest_finished"
DEPLOYMENT_PROGRESS = "deployment_progress"
"""Event types: the names of the notifier.v1 ``Event.payload`` fields."""

JOB_KIND_TRAINING = "training"
JOB_KIND_BACKTEST = "backtest"


def training_job_topic(job_id: str) -> str:
    """Topic of one training job: ``training_job/<job_id>``."""
    return f"training_job/{job_id}"


def backtest_topic(backtest_id: str) -> str:
    """Topic of one backtest: ``backtest/<backtest_id>``."""
    return f"backtest/{backtest_id}"


def deployment_topic(deployment_id: str) -> str:
    """Topic of one deployment: ``deployment/<deployment_id>``."""
    return f"deployment/{deployment_id}"


def control_key(topic: str) -> str:
    """Redis key holding the control command (``pause``/``cancel``) for the job of ``topic``."""
    return f"tm:control:{topic}"
