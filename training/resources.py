"""Wall time and peak memory of a stage (process RSS sampled in a thread; CUDA peak when a GPU is used)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType

import psutil
import torch


@dataclass
class Usage:
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_cuda_mb: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_cuda_mb": None if self.peak_cuda_mb is None else round(self.peak_cuda_mb, 1),
        }


class StageMonitor:
    """``with StageMonitor() as m: ...`` then ``m.usage``; RSS includes this process and its children."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.usage = Usage()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = 0.0
        self._process = psutil.Process()

    def _rss_mb(self) -> float:
        total = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
        return total / 2**20

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.usage.peak_rss_mb = max(self.usage.peak_rss_mb, self._rss_mb())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> StageMonitor:
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        self._start = time.perf_counter()
        self.usage.peak_rss_mb = self._rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.usage.peak_rss_mb = max(self.usage.peak_rss_mb, self._rss_mb())
        self.usage.seconds = time.perf_counter() - self._start
        if torch.cuda.is_available():
            self.usage.peak_cuda_mb = torch.cuda.max_memory_allocated() / 2**20
