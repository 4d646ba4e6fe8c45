"""Admission of a new training job: priority rights and the caller's quotas.

The concurrent-job quota is counted in the database when the job is inserted
(:meth:`tm_trainer.store.JobStore.create`); the per-job quotas (CPUs, GPUs, run time) are
checked here from the request alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from trademaster.api.trainer.v1 import trainer_pb2
from trademaster.service.auth import Principal, Role
from trademaster.service.errors import InvalidArgument, PermissionDenied, ResourceExhausted
from trademaster.service.quotas import QuotaLimit

from tm_trainer.config import TrainerSettings

MIN_PRIORITY, MAX_PRIORITY = -10, 10
PRIORITY_ROLES = (Role.ADMIN, Role.RISK_OFFICER)
"""Roles that may queue a job above the default priority 0."""


@dataclass(frozen=True)
class Admission:
    """What a create request is allowed: its priority, run-time limit and job quota."""

    priority: int
    time_limit_s: float
    jobs: QuotaLimit


def admit(
    settings: TrainerSettings, principal: Principal, request: trainer_pb2.CreateTrainingJobRequest
) -> Admission:
    """Check the request against the caller's rights and per-job quotas (see module doc)."""
    priority = _priority(principal, request.priority)
    subject, roles = principal.subject, principal.roles
    res = request.resources
    cpus = float(res.num_cpus or settings.cpus_per_job)
    cpu_quota = settings.quota_cpus_per_job.limit_for(subject, roles)
    if not cpu_quota.allows(0, cpus):
        raise cpu_quota.refusal(
            "cpus_per_job",
            "CPUs per job",
            cpus,
            "ask for fewer (resources.num_cpus)",
            use_label="asked",
        )
    gpu_quota = settings.quota_gpus_per_job.limit_for(subject, roles)
    if not gpu_quota.allows(0, float(res.num_gpus)):
        raise gpu_quota.refusal(
            "gpus_per_job",
            "GPUs per job",
            res.num_gpus,
            "ask for fewer (resources.num_gpus)",
            use_label="asked",
        )
    return Admission(
        priority=priority,
        time_limit_s=_time_limit(settings, principal, request.time_limit_seconds),
        jobs=settings.quota_jobs.limit_for(
            subject, roles, fallback=settings.max_active_jobs_per_user
        ),
    )


def _priority(principal: Principal, priority: int) -> int:
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise InvalidArgument(
            f"priority must be in [{MIN_PRIORITY}, {MAX_PRIORITY}], was {priority}",
            [("priority", f"must be in [{MIN_PRIORITY}, {MAX_PRIORITY}], was {priority}")],
        )
    if priority > 0 and not principal.has_any(*PRIORITY_ROLES):
        raise PermissionDenied(
            f"priority {priority} > 0 needs the admin or risk_officer role; use 0 or less",
            reason="PRIORITY_NOT_ALLOWED",
        )
    return priority


def _time_limit(settings: TrainerSettings, principal: Principal, asked: float) -> float:
    if asked < 0:
        raise InvalidArgument(
            f"time_limit_seconds must be >= 0, was {asked:g}",
            [("time_limit_seconds", f"must be >= 0, was {asked:g}")],
        )
    quota = settings.quota_run_seconds.limit_for(principal.subject, principal.roles)
    if quota.limit is None:
        return asked
    if asked > quota.limit:
        raise quota.refusal(
            "run_seconds",
            "seconds of run time per job",
            asked,
            "ask for a shorter time limit",
            use_label="asked",
        )
    return asked or quota.limit


def too_many_jobs(jobs: QuotaLimit, active: int) -> ResourceExhausted:
    """The refusal of one job over the concurrent-job quota."""
    return jobs.refusal(
        "jobs",
        "concurrent training jobs",
        active,
        "wait for a job to finish or cancel one",
        reason="TOO_MANY_ACTIVE_JOBS",
    )
