"""Bounded admission in front of the model: one job runs at a time on the model's own thread (the engine, the
embedded llama.cpp model and the keyword index are not made to be shared by threads), at most `waiting` more wait
for it, and any beyond are turned away at once with 429 and a Retry-After, so that memory never grows with the
number of callers. A job whose caller went away is dropped before it starts, or stopped at its next draft token."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from assistant.serve.errors import busy

T = TypeVar("T")
MAX_RETRY_AFTER = 60


class Cancelled(Exception):
    """Raised inside a job (from its token callback) when its caller went away: the model stops writing."""


class Admission:
    """At most `1 + waiting` jobs admitted at once; `submit` raises the 429 `ApiError` beyond that."""

    def __init__(self, waiting: int) -> None:
        self.capacity = 1 + max(0, waiting)
        self.admitted = 0
        self.turned_away = 0
        self._lock = threading.Lock()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self._durations: deque[float] = deque(maxlen=20)

    def submit(self, job: Callable[[threading.Event], T]) -> tuple[Future[T], threading.Event]:
        """Queue `job(cancel)` for the model's thread: (its future, the event that cancels it). The slot is freed
        when the job ends, or at once when the future is cancelled before the job started."""
        with self._lock:
            if self.admitted >= self.capacity:
                self.turned_away += 1
                raise busy(self.retry_after())
            self.admitted += 1
        cancel = threading.Event()

        def run() -> T:
            if cancel.is_set():
                raise Cancelled()
            started = time.monotonic()
            try:
                return job(cancel)
            finally:
                self._durations.append(time.monotonic() - started)

        future = self._thread.submit(run)
        future.add_done_callback(self._release)
        return future, cancel

    def _release(self, _: Future[T]) -> None:
        with self._lock:
            self.admitted -= 1

    def retry_after(self) -> int:
        """Seconds until a slot is likely free (the running job ends): the recent mean job time, at least 1."""
        mean = sum(self._durations) / len(self._durations) if self._durations else 1.0
        return max(1, min(MAX_RETRY_AFTER, math.ceil(mean)))

    def shutdown(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
