"""What a training job running on the cluster tells the platform: typed events on its Redis
stream, and the pause/cancel flag it obeys at iteration boundaries.

Event payloads are the JSON form (proto field names) of the notifier messages
``TrainingProgress``, ``JobStateChanged``, ``CheckpointSaved`` and ``TrainingFinished``; the
event ``type`` is the name of the matching ``Event.payload`` field, so a consumer rebuilds the
typed message with ``json_format.ParseDict(payload, getattr(Event(), type))``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import redis.asyncio as aioredis

from trademaster.service.events import EventBus
from trademaster.training.callbacks import Callback

if TYPE_CHECKING:
    from trademaster.training.resources import ResourceSampler
    from trademaster.training.trainer import TrainingResult

_LOGGER = logging.getLogger(__name__)

TRAINING_PROGRESS = "training_progress"
JOB_STATE_CHANGED = "job_state_changed"
CHECKPOINT_SAVED = "checkpoint_saved"
TRAINING_FINISHED = "training_finished"
JOB_KIND = "training"

ControlCommand = Literal["pause", "cancel"]
CONTROL_COMMANDS: tuple[str, ...] = ("pause", "cancel")


def job_topic(job_id: str) -> str:
    """Event topic of one training job: ``training_job/<job_id>``."""
    return f"training_job/{job_id}"


def control_key(job_id: str) -> str:
    """Redis key holding ``pause`` or ``cancel`` for a running job."""
    return f"tm:control:{job_topic(job_id)}"


def finite_metrics(row: dict[str, Any]) -> dict[str, float]:
    """Numeric, finite entries of a metrics row (JSON and proto doubles carry no NaN safely)."""
    out: dict[str, float] = {}
    for key, value in row.items():
        if key in ("global_step", "partial") or isinstance(value, bool):
            continue
        if isinstance(value, int | float) and math.isfinite(float(value)):
            out[key] = float(value)
    return out


class JobChannel:
    """Synchronous facade over the async :class:`EventBus` for code running in a Ray job.

    Owns a private event loop, so the (synchronous) trainer can publish and poll without
    threads of its own.
    """

    def __init__(
        self, redis_url: str, job_id: str, owner_id: str, *, stream_prefix: str = "tm:events:"
    ) -> None:
        self.job_id = job_id
        self.owner_id = owner_id
        self.topic = job_topic(job_id)
        self._loop = asyncio.new_event_loop()
        self._client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        self._bus = EventBus(redis_url, stream_prefix=stream_prefix, client=self._client)

    def close(self) -> None:
        self._loop.run_until_complete(self._bus.close())
        self._loop.close()

    def __enter__(self) -> JobChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def publish(self, type_: str, payload: dict[str, Any]) -> str:
        return self._loop.run_until_complete(
            self._bus.publish(self.topic, self.owner_id, type_, payload)
        )

    def control(self) -> str | None:
        """The pending control command (``pause``/``cancel``), or None."""
        value = self._loop.run_until_complete(self._client.get(control_key(self.job_id)))
        return value if value in CONTROL_COMMANDS else None

    def progress(self, step: int, total: int, metrics: dict[str, float]) -> str:
        return self.publish(
            TRAINING_PROGRESS,
            {
                "job_id": self.job_id,
                "step": step,
                "total_steps": total,
                "fraction": min(1.0, step / total) if total else 0.0,
                "metrics": metrics,
            },
        )

    def state_changed(self, old: str, new: str, reason: str = "") -> str:
        return self.publish(
            JOB_STATE_CHANGED,
            {
                "job_id": self.job_id,
                "job_kind": JOB_KIND,
                "old_state": old,
                "new_state": new,
                "reason": reason,
            },
        )

    def checkpoint_saved(self, step: int, uri: str) -> str:
        return self.publish(
            CHECKPOINT_SAVED, {"job_id": self.job_id, "step": step, "checkpoint_uri": uri}
        )

    def finished(
        self,
        state: str,
        *,
        final_metrics: dict[str, float] | None = None,
        model_uri: str = "",
        failure_reason: str = "",
    ) -> str:
        return self.publish(
            TRAINING_FINISHED,
            {
                "job_id": self.job_id,
                "state": state,
                "final_metrics": dict(final_metrics or {}),
                "model_uri": model_uri,
                "failure_reason": failure_reason,
            },
        )


class JobEventsCallback(Callback):
    """Publishes progress rows (with the latest resource sample, when a sampler is given) and
    checkpoints, and turns the control flag into pause/stop.

    The flag is polled at most every ``control_poll_s`` seconds, so a fast loop is not slowed
    by a Redis round trip per iteration.
    """

    def __init__(
        self,
        channel: JobChannel,
        *,
        pause_event: threading.Event,
        stop_event: threading.Event,
        control_poll_s: float = 0.05,
        resources: ResourceSampler | None = None,
    ) -> None:
        self.channel = channel
        self.resources = resources
        self.pause_event = pause_event
        self.stop_event = stop_event
        self.control_poll_s = control_poll_s
        self._next_poll = 0.0

    def on_start(self) -> None:
        config = self.trainer.config
        self.channel.progress(self.trainer.algorithm.global_step, config.total_steps, {})
        self._poll(force=True)

    def _poll(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next_poll:
            return
        self._next_poll = now + self.control_poll_s
        command = self.channel.control()
        if command == "pause":
            self.pause_event.set()
        elif command == "cancel":
            self.stop_event.set()

    def on_iteration(self, metrics: dict[str, float]) -> bool:
        self._poll()
        return True

    def on_log(self, row: dict[str, Any]) -> None:
        if row.get("partial"):
            # A window cut short by pause/stop; the resumed run completes it with the same step.
            return
        metrics = finite_metrics(row)
        if self.resources is not None:  # live usage rides along, stored as metric history
            metrics.update(self.resources.latest())
        self.channel.progress(int(row["global_step"]), self.trainer.config.total_steps, metrics)

    def on_eval(self, metrics: dict[str, float]) -> None:
        self.channel.progress(
            self.trainer.algorithm.global_step,
            self.trainer.config.total_steps,
            finite_metrics(metrics),
        )

    def on_checkpoint(self, path: Path) -> None:
        self.channel.checkpoint_saved(self.trainer.algorithm.global_step, path.resolve().as_uri())

    def on_end(self, result: TrainingResult) -> None:
        _LOGGER.info(
            "job.training_ended job.id=%s status=%s step=%d",
            self.channel.job_id,
            result.status,
            result.global_step,
        )
