"""Loading the models on helper threads (`assistant.runtime.loading.Loading`)."""

from __future__ import annotations

import threading

import pytest

from assistant.runtime.loading import Loading


def test_warm_ups_run_at_once_and_an_error_is_raised_in_the_asking_thread_after_its_block() -> None:
    both = threading.Barrier(2, timeout=10)  # each waits for the other: only passes if they run at the same time
    with Loading(both.wait, None, both.wait):
        pass

    def fail() -> None:
        raise RuntimeError("cannot load")

    ran = []
    with pytest.raises(RuntimeError, match="cannot load"), Loading(lambda: None, fail):
        ran.append(True)
    assert ran == [True]
    with pytest.raises(ValueError, match="the block's"), Loading(fail):  # an error of the block wins over theirs
        raise ValueError("the block's")
