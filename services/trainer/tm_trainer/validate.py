"""Checks of trainer requests at the edge: page sizes, create-request ranges, unknown jobs."""

from __future__ import annotations

import uuid

from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.service.errors import InvalidArgument, NotFound

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_METRICS_PAGE_SIZE = 1000
MAX_METRICS_PAGE_SIZE = 10_000
MAX_REQUEST_ID_LENGTH = 128
Violations = list[tuple[str, str]]


def checked_page_size(value: int, default: int, maximum: int) -> int:
    if value < 0:
        raise InvalidArgument(
            f"page_size must be >= 0, was {value}", [("page_size", f"must be >= 0, was {value}")]
        )
    return min(value or default, maximum)


def create_violations(request: trainer_pb2.CreateTrainingJobRequest) -> Violations:
    """Every out-of-range field of a create request (the run spec is checked when resolved)."""
    violations: Violations = []
    if request.strategy_version < 0:
        violations.append(("strategy_version", f"must be >= 0, was {request.strategy_version}"))
    if request.total_steps < 0:
        violations.append(("total_steps", f"must be >= 0, was {request.total_steps}"))
    if request.seed < 0:
        violations.append(("seed", f"must be >= 0, was {request.seed}"))
    if len(request.request_id) > MAX_REQUEST_ID_LENGTH:
        violations.append(("request_id", f"must be at most {MAX_REQUEST_ID_LENGTH} characters"))
    res = request.resources
    if res.num_cpus < 0:
        violations.append(("resources.num_cpus", f"must be >= 0, was {res.num_cpus}"))
    if res.num_gpus < 0:
        violations.append(("resources.num_gpus", f"must be >= 0, was {res.num_gpus}"))
    if res.gpu_required and res.num_gpus == 0:
        violations.append(("resources.num_gpus", "must be >= 1 when gpu_required is set"))
    return violations


def not_found(job_id: uuid.UUID | str) -> NotFound:
    return NotFound(f"training job {job_id} not found", reason="TRAINING_JOB_NOT_FOUND")
