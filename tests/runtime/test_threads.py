"""Generation threads of the local model: every CPU only while the CPUs are free, half of them otherwise
(`assistant.runtime.threads`)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.runtime import threads
from assistant.runtime.threads import cpu_count, generation_threads, half_the_cpus, other_runnable_tasks


def _loadavg(tmp_path: Path, running: str) -> Path:
    path = tmp_path / "loadavg"
    path.write_text(f"0.52 0.61 0.70 {running} 12345\n")
    return path


# Who else is running ---------------------------------------------------------------------------------------

def test_other_runnable_tasks_leaves_out_the_caller(tmp_path: Path) -> None:
    assert other_runnable_tasks(_loadavg(tmp_path, "1/80")) == 0
    assert other_runnable_tasks(_loadavg(tmp_path, "3/80")) == 2
    assert other_runnable_tasks(tmp_path / "missing") is None
    assert other_runnable_tasks(_loadavg(tmp_path, "many")) is None


def test_replies_use_every_cpu_only_when_nothing_else_runs(tmp_path: Path) -> None:
    assert generation_threads(_loadavg(tmp_path, "1/80")) == cpu_count()
    assert generation_threads(_loadavg(tmp_path, "2/80")) == half_the_cpus()
    assert generation_threads(tmp_path / "missing") == half_the_cpus()  # unknown: as before


def test_bigger_machines_keep_half_their_cpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "cpu_count", lambda: 16)
    assert generation_threads(_loadavg(tmp_path, "1/80")) == 8


@pytest.mark.skipif(not Path("/proc/loadavg").is_file(), reason="Linux only")
def test_a_busy_process_is_seen_as_running() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        others = other_runnable_tasks()
        assert others is not None and others >= 1
        assert generation_threads() == half_the_cpus()
    finally:
        spinner.kill()
        spinner.wait()
