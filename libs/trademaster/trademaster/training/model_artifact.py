"""A trained model as one self-contained artifact: the policy weights plus everything a replay
needs (the run spec with env and agent config, the scaler fitted on the training dates, the
assets and feature columns the policy saw), so a backtest never re-reads training data.

Written as one ``torch.save`` file (``model.pt`` by trainer jobs, ``final_model.pt`` by the
CLI); it loads with ``weights_only=True`` (tensors, numbers, strings and dicts only).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import torch

from trademaster.config.run import RunSpec
from trademaster.data.splits import FeatureScaler

_LOGGER = logging.getLogger(__name__)

FORMAT = 1
"""Version of the artifact layout; bump when a field's meaning changes."""


class ModelArtifactError(ValueError):
    """The file is not a self-contained model artifact this code can replay."""


@dataclass(frozen=True)
class ModelArtifact:
    """Policy weights + replay context (see module doc)."""

    run_spec: RunSpec
    policy_state: dict[str, torch.Tensor]
    global_step: int
    scaler: FeatureScaler | None
    """Train-fitted feature scaler of bar tasks; None for order books (scale-free features)."""
    tics: tuple[str, ...]
    """Assets of the training data, in the policy's order (bar tasks)."""
    feature_fields: tuple[str, ...]
    """Panel fields the env observed (bar tasks)."""

    @property
    def agent(self) -> str:
        return self.run_spec.agent

    def to_state(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "agent_name": self.run_spec.agent,
            "run_spec": self.run_spec.model_dump_json(),
            "policy_state": self.policy_state,
            "global_step": self.global_step,
            "scaler": None if self.scaler is None else self.scaler.to_dict(),
            "tics": list(self.tics),
            "feature_fields": list(self.feature_fields),
        }

    def save(self, target: str | Path | IO[bytes]) -> None:
        torch.save(self.to_state(), target)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ModelArtifact:
        if state.get("format") != FORMAT or "run_spec" not in state:
            raise ModelArtifactError(
                "the model file is not a self-contained artifact (format "
                f"{state.get('format')!r}, expected {FORMAT}); train the model again"
            )
        scaler = state.get("scaler")
        return cls(
            run_spec=RunSpec.model_validate_json(state["run_spec"]),
            policy_state=dict(state["policy_state"]),
            global_step=int(state["global_step"]),
            scaler=None if scaler is None else FeatureScaler.from_dict(scaler),
            tics=tuple(state.get("tics") or ()),
            feature_fields=tuple(state.get("feature_fields") or ()),
        )

    @classmethod
    def load(cls, source: str | Path | IO[bytes]) -> ModelArtifact:
        """Read an artifact (a path or an open binary file) onto the CPU."""
        state = torch.load(source, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ModelArtifactError(f"a model artifact holds a dict, found {type(state)}")
        return cls.from_state(state)


def model_artifact(run: RunSpec, dataset: Any, algorithm: Any) -> ModelArtifact:
    """The artifact of ``algorithm`` trained on ``dataset`` (a pipeline ``Dataset``) per ``run``."""
    from trademaster.training.pipeline import PANEL_FIELDS

    tics: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    if dataset.split is not None:
        tics = tuple(sorted(str(t) for t in dataset.split.train["tic"].unique()))
        fields = tuple(PANEL_FIELDS)
    return ModelArtifact(
        run_spec=run,
        policy_state=dict(algorithm.policy.state_dict()),
        global_step=int(algorithm.global_step),
        scaler=dataset.scaler,
        tics=tics,
        feature_fields=fields,
    )
