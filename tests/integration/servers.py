"""Servers that integration tests start on 127.0.0.1 (`chroma run`, llama-cpp-python's OpenAI-compatible server):
start a process, wait until it answers, and stop it; a free port taken by another process first is retried."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import get_json, stop
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def chroma_command(data: Path, port: int) -> list[str]:
    """`chroma run` with its data in `data`, on 127.0.0.1:`port`."""
    return [str(ROOT / ".venv" / "bin" / "chroma"), "run", "--path", str(data), "--host", "127.0.0.1",
            "--port", str(port)]


CHROMA_READY = "/api/v2/heartbeat"


def start_server(command: list[str], ready_url: str, log: Path,
                 timeout: float = START_TIMEOUT) -> tuple[subprocess.Popen[bytes], Any] | None:
    """(process, the first answer of `ready_url`) once the server answers it; None (the process stopped and its
    log kept) when it exits or does not answer within `timeout` seconds."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return process, get_json(ready_url)
        except OSError:
            time.sleep(0.25)
    stop(process)
    return None


@contextmanager
def loopback_server(command: Callable[[int], list[str]], ready_path: str, log_dir: Path,
                    attempts: int = 3) -> Iterator[tuple[int, Any]]:
    """(port, first answer of `ready_path`) of the server `command(port)` starts on a free port; stopped on exit.
    Fails the test with the server's log when it does not start."""
    log = log_dir / "server.log"
    for _ in range(attempts):  # another process may take the free port before the server binds it
        port = free_port()
        started = start_server(command(port), f"http://127.0.0.1:{port}{ready_path}", log)
        if started is None:
            continue
        process, answer = started
        try:
            yield port, answer
        finally:
            stop(process)
        return
    output = log.read_text(errors="replace")[-2000:]
    pytest.fail(f"{command(0)[0]} did not start within {START_TIMEOUT:.0f} s:\n{output}")
