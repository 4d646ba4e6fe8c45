"""ResourceSampler: a CPU-bound job shows CPU and memory; GPU fields are absent without a GPU."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from trademaster.training import resources
from trademaster.training.resources import METRIC_PREFIX, ResourceSampler

pytestmark = pytest.mark.unit

GPU_FIELDS = {"gpu_util_percent", "gpu_memory_mib"}


def _spin(seconds: float) -> int:
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n += 1
    return n


def test_cpu_bound_work_shows_cpu_and_memory_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources._Nvml, "__init__", lambda self: setattr(self, "_nvml", None))
    with ResourceSampler(interval_s=0.2) as sampler:
        deadline = time.monotonic() + 60  # a loaded machine may starve the sampler thread
        while len(sampler.history) < 4 and time.monotonic() < deadline:
            _spin(0.3)
    history = sampler.history
    summary = sampler.summary()

    assert len(history) >= 4
    assert [s["t"] for s in history] == sorted(s["t"] for s in history)
    assert summary["cpu_percent_peak"] > 5 and summary["cpu_percent_mean"] > 0
    assert summary["rss_mib_peak"] > 10
    assert not GPU_FIELDS & {k for s in history for k in s}
    assert not any(k.startswith("gpu_") for k in summary)
    assert set(sampler.latest()) == {f"{METRIC_PREFIX}cpu_percent", f"{METRIC_PREFIX}rss_mib"}


def test_children_are_counted() -> None:
    child = subprocess.Popen(  # a CPU-bound child: its time counts toward the job
        [sys.executable, "-c", "import time\nt=time.time()\nwhile time.time()-t<1.5: pass"]
    )
    try:
        sampler = ResourceSampler(interval_s=0.25).start()
        time.sleep(1.2)
        sampler.stop()
    finally:
        child.wait(timeout=10)
    assert sampler.summary()["cpu_percent_peak"] > 5


def test_gpu_fields_come_only_from_processes_on_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    class Proc:
        def __init__(self, pid: int) -> None:
            self.pid, self.usedGpuMemory = pid, 512 * 1024 * 1024

    class FakeNvml:  # the NVML calls the sampler makes, on one device
        def __init__(self, pids: list[int]) -> None:
            self.pids = pids

        def nvmlDeviceGetComputeRunningProcesses(self, handle: object) -> list[Proc]:
            return [Proc(p) for p in self.pids]

        def nvmlDeviceGetUtilizationRates(self, handle: object) -> object:
            return type("Util", (), {"gpu": 37})()

    gpu = resources._Nvml.__new__(resources._Nvml)
    gpu._handles = [object()]
    gpu._nvml = FakeNvml([4242])
    assert gpu.sample({4242, 1}) == {"gpu_util_percent": 37.0, "gpu_memory_mib": 512.0}
    gpu._nvml = FakeNvml([99])
    assert gpu.sample({4242}) == {}


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        ResourceSampler(interval_s=0)
