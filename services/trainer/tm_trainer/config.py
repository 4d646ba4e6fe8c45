"""Trainer service settings, read once from ``TM_TRAINER_*`` env vars."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict
from trademaster.service.quotas import Quota
from trademaster.service.settings import ServiceSettings
from trademaster.service.topics import REPORT_STREAM_PREFIX


class TrainerSettings(ServiceSettings):
    """Settings of the trainer service (``TM_TRAINER_*``)."""

    model_config = SettingsConfigDict(env_prefix="TM_TRAINER_", extra="ignore", frozen=True)

    strategy_addr: str
    """host:port of the strategy service (strategies, and datasets by URI via GetDataset)."""
    ray_dashboard_url: str | None = None
    """Ray job-submission endpoint, e.g. ``http://127.0.0.1:8265``."""
    ray_address: str | None = None
    """Ray GCS address; used to discover the dashboard URL when that is not set."""
    artifact_dir: Path = Path("./var/artifacts/trainer")
    """Artifact store root: ``<artifact_dir>/<job_id>/`` holds specs, checkpoints and the model."""
    max_active_jobs_per_user: int = Field(3, ge=1)
    """QUEUED + RUNNING + PAUSED + CANCELLING jobs one user may have (the default of
    ``quota_jobs``)."""
    quota_jobs: Quota = Quota()
    """Concurrent (queued, running, paused, cancelling) jobs per user / role, JSON:
    ``{"default": 3, "roles": {"admin": 20}, "users": {"alice": 10}}``."""
    quota_cpus_per_job: Quota = Quota()
    """Most CPUs one job may ask for, per user / role; unset is unlimited."""
    quota_gpus_per_job: Quota = Quota()
    """Most GPUs one job may ask for, per user / role; unset is unlimited."""
    quota_run_seconds: Quota = Quota()
    """Longest one run of a job may last on the cluster before it ends FAILED ("time limit"),
    per user / role; a request may ask for less. Unset is no limit."""
    max_attempts: int = Field(10, ge=1)
    """Submissions of one job: a job whose Ray job is lost (worker or node died) is resubmitted
    from its last checkpoint until it has run this many times, then it ends FAILED."""
    cpus_per_job: float = Field(1.0, gt=0)
    """CPUs a job asks Ray for when the request does not say."""
    scheduler_interval_s: float = Field(0.5, gt=0)
    """How often the scheduler looks for queued jobs and checks running ones with Ray."""
    event_block_ms: int = Field(200, ge=1)
    """How long one read of the job event streams waits for new events."""
    cancel_grace_s: float = Field(10.0, ge=0)
    """How long a cancelled job may take to stop before the trainer asks Ray again."""
    job_python: str = "python"
    """Interpreter of the Ray job entrypoint on the cluster nodes."""
    risk_addr: str | None = None
    """host:port of the risk service; unset, deployments are refused (FAILED_PRECONDITION)."""
    backtest_addr: str | None = None
    """host:port of the backtest service (equity curves for the paper -> live tracking error);
    unset, the tracking error is not computable (the rule fails when its threshold is > 0)."""
    registry_addr: str | None = None
    """host:port of the model registry (the strategy service); unset means ``strategy_addr``."""
    bar_stream: str = "tm:md:bars"
    """Redis stream of market-data bars deployments read when they name no bar source."""
    deployment_cpus: float = Field(0.25, gt=0)
    """CPUs a deployment runner asks Ray for (it waits on bars most of the time)."""
    deployment_token_ttl_s: float = Field(86_400.0, gt=0)
    """Lifetime of a runner's risk-service token; a resubmitted runner gets a fresh one."""
    deployment_heartbeat_timeout_s: float = Field(120.0, ge=0, le=3600)
    """Dead man: a runner silent this long gets its account put in REDUCING by the risk
    service (it heartbeats every third of it); 0 turns the heartbeat off."""
    event_stream_prefix: str = "tm:events:"
    """Redis stream prefix of the platform event bus (public events)."""
    report_stream_prefix: str = REPORT_STREAM_PREFIX
    """Redis stream prefix of the private runner reports (never read by the notifier)."""

    @model_validator(mode="after")
    def _ray_reachable(self) -> TrainerSettings:
        if not self.ray_dashboard_url and not self.ray_address:
            raise ValueError("one of ray_dashboard_url or ray_address must be set")
        return self
