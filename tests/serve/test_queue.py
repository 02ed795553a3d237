"""Bounded admission: one job at a time on the model's thread, a bounded wait, 429 beyond it, slots freed by
jobs that end, fail or are cancelled."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.serve import Admission, ApiError, Cancelled


def _wait_until(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_jobs_run_one_at_a_time_and_beyond_the_wait_are_turned_away() -> None:
    admission = Admission(waiting=1)
    gate = threading.Event()
    running: list[str] = []

    def hold(cancel: threading.Event) -> None:
        running.append(threading.current_thread().name)
        gate.wait(5)

    first, _ = admission.submit(hold)
    second, _ = admission.submit(lambda cancel: running.append(threading.current_thread().name))
    with pytest.raises(ApiError) as refused:
        admission.submit(lambda cancel: None)
    assert refused.value.status == 429 and refused.value.code == "busy"
    assert int(refused.value.headers["Retry-After"]) >= 1
    assert admission.turned_away == 1
    gate.set()
    first.result(5), second.result(5)
    assert len(running) == 2 and len(set(running)) == 1  # one model thread
    _wait_until(lambda: admission.admitted == 0)
    assert admission.admitted == 0
    admission.submit(lambda cancel: None)[0].result(5)
    admission.shutdown()


def test_a_failing_job_frees_its_slot() -> None:
    admission = Admission(waiting=0)
    future, _ = admission.submit(lambda cancel: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        future.result(5)
    _wait_until(lambda: admission.admitted == 0)
    assert admission.submit(lambda cancel: "ok")[0].result(5) == "ok"
    admission.shutdown()


def test_a_waiting_job_cancelled_frees_its_slot_at_once_and_never_runs() -> None:
    admission = Admission(waiting=1)
    gate = threading.Event()
    ran: list[str] = []
    admission.submit(lambda cancel: gate.wait(5))
    waiting, cancel = admission.submit(lambda cancel: ran.append("waiting"))
    cancel.set()
    waiting.cancel()
    assert admission.admitted == 1
    admission.submit(lambda cancel: ran.append("next"))
    gate.set()
    _wait_until(lambda: admission.admitted == 0)
    assert ran == ["next"]
    admission.shutdown()


def test_a_running_job_sees_its_cancel_event() -> None:
    admission = Admission(waiting=0)
    started = threading.Event()

    def job(cancel: threading.Event) -> None:
        started.set()
        while not cancel.wait(0.01):
            pass
        raise Cancelled()

    future, cancel = admission.submit(job)
    started.wait(5)
    cancel.set()
    with pytest.raises(Cancelled):
        future.result(5)
    _wait_until(lambda: admission.admitted == 0)
    assert admission.admitted == 0
    admission.shutdown()
