"""What a job used: CPU %, resident memory and (with NVML and a GPU) GPU utilisation and memory.

A :class:`ResourceSampler` samples its own process and its children every few seconds on a
daemon thread, keeps the history and summarises it (peak/mean). GPU fields are *absent*, not
zero, when there is no NVML (``nvidia-ml-py``) or the job's processes use no GPU, so "no GPU"
is never mistaken for "an idle GPU".
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from types import TracebackType
from typing import Any

import psutil

_LOGGER = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 2.0
MIB = 1024 * 1024
METRIC_PREFIX = "resources/"
"""Resource fields travel beside training metrics under this prefix (``resources/cpu_percent``)."""

Sample = dict[str, float]
"""``t`` (seconds since start), ``cpu_percent``, ``rss_mib`` and, with a GPU,
``gpu_util_percent`` and ``gpu_memory_mib``."""


class _Nvml:
    """GPU utilisation and memory of the given pids via NVML; inert when NVML is unusable."""

    def __init__(self) -> None:
        self._nvml: Any = None
        try:
            import pynvml  # optional: nvidia-ml-py, present on GPU images

            pynvml.nvmlInit()
            self._handles = [
                pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())
            ]
            self._nvml = pynvml
        except Exception as error:  # noqa: BLE001 - missing library, driver or device
            _LOGGER.debug("resources.no_nvml error=%s", error)

    def sample(self, pids: set[int]) -> Sample:
        if self._nvml is None:
            return {}
        used_mib, utils = 0.0, []
        for handle in self._handles:
            try:
                procs = self._nvml.nvmlDeviceGetComputeRunningProcesses(handle)
                mine = [p for p in procs if p.pid in pids]
                if not mine:
                    continue
                used_mib += sum((p.usedGpuMemory or 0) for p in mine) / MIB
                utils.append(float(self._nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
            except Exception as error:  # noqa: BLE001 - a device may vanish or refuse
                _LOGGER.debug("resources.nvml_sample_failed error=%s", error)
        if not utils:
            return {}
        return {"gpu_util_percent": max(utils), "gpu_memory_mib": used_mib}

    def close(self) -> None:
        if self._nvml is not None:
            with contextlib.suppress(Exception):  # shutting down is best effort
                self._nvml.nvmlShutdown()


class ResourceSampler:
    """Samples a process tree every ``interval_s`` seconds; use as a context manager."""

    def __init__(self, pid: int | None = None, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, was {interval_s}")
        self._process = psutil.Process(pid)
        self._interval_s = interval_s
        self._history: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self._cpu: dict[int, psutil.Process] = {}
        self._gpu = _Nvml()

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self._process, *self._process.children(recursive=True)]
        except psutil.Error:
            return [self._process]

    def sample(self) -> Sample:
        """Take one sample now (CPU % is since the previous sample of each process)."""
        cpu, rss, pids = 0.0, 0.0, set()
        for proc in self._tree():
            known = self._cpu.setdefault(proc.pid, proc)  # cpu_percent needs the same object
            try:
                with known.oneshot():
                    cpu += known.cpu_percent(None)
                    rss += known.memory_info().rss / MIB
                pids.add(proc.pid)
            except psutil.Error:
                self._cpu.pop(proc.pid, None)
        sample: Sample = {
            "t": round(time.monotonic() - self._started, 3),
            "cpu_percent": cpu,
            "rss_mib": rss,
            **self._gpu.sample(pids),
        }
        with self._lock:
            self._history.append(sample)
        return sample

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.sample()

    def start(self) -> ResourceSampler:
        self.sample()  # primes per-process CPU counters; its cpu_percent reads 0
        self._thread = threading.Thread(target=self._loop, name="resource-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval_s + 1)
        self.sample()
        self._gpu.close()

    def __enter__(self) -> ResourceSampler:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def history(self) -> list[Sample]:
        with self._lock:
            return list(self._history)

    def latest(self) -> Sample:
        """The newest sample as ``resources/<field>`` metrics (empty before the first)."""
        with self._lock:
            last = dict(self._history[-1]) if self._history else {}
        last.pop("t", None)
        return {f"{METRIC_PREFIX}{k}": v for k, v in last.items()}

    def summary(self) -> dict[str, float]:
        """``<field>_peak`` and ``<field>_mean`` over the history (priming sample excluded)."""
        samples = self.history[1:] or self.history
        out: dict[str, float] = {}
        fields = sorted({k for s in samples for k in s} - {"t"})
        for name in fields:
            values = [s[name] for s in samples if name in s]
            out[f"{name}_peak"] = round(max(values), 3)
            out[f"{name}_mean"] = round(sum(values) / len(values), 3)
        out["samples"] = float(len(samples))
        return out
