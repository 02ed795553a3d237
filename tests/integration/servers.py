"""Servers that integration tests start on 127.0.0.1 (`chroma run`, llama-cpp-python's OpenAI-compatible server,
`assistant serve`): start a process, wait until it answers, and stop it; a free port taken by another process first
is retried. Also a scripted OpenAI-compatible model server, on a thread of the test process."""

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


def start_server(command: list[str], ready_url: str, log: Path, timeout: float = START_TIMEOUT,
                 env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Any] | None:
    """(process, the first answer of `ready_url`) once the server answers it; None (the process stopped and its
    log kept) when it exits or does not answer within `timeout` seconds. `env`: added to `os.environ`."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, "ANONYMIZED_TELEMETRY": "False", **(env or {})})
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
                    attempts: int = 3, env: dict[str, str] | None = None,
                    timeout: float = START_TIMEOUT) -> Iterator[tuple[int, Any]]:
    """(port, first answer of `ready_path`) of the server `command(port)` starts on a free port (with `env` added
    to its environment); stopped on exit. Fails the test with the server's log (`log_dir/server.log`) when it
    does not start."""
    log = log_dir / "server.log"
    for _ in range(attempts):  # another process may take the free port before the server binds it
        port = free_port()
        started = start_server(command(port), f"http://127.0.0.1:{port}{ready_path}", log, timeout, env)
        if started is None:
            continue
        process, answer = started
        try:
            yield port, answer
        finally:
            stop(process)
        return
    output = log.read_text(errors="replace")[-2000:]
    pytest.fail(f"{command(0)[0]} did not start within {timeout:.0f} s:\n{output}")


SERVE_READY = "/health"


def serve_command(*options: str) -> Callable[[int], list[str]]:
    """`assistant serve` on 127.0.0.1 and the given port, with `options`."""
    return lambda port: [str(ROOT / ".venv" / "bin" / "assistant"), "serve", "--host", "127.0.0.1",
                         "--port", str(port), *options]


class ScriptedModel:
    """An OpenAI-compatible chat server on 127.0.0.1, on a thread of the test process: it streams back the first
    numbered source of each prompt as the answer (cited [1]), in pieces `delay` seconds apart, so that answers
    are real, verifiable and as slow as a test needs. `requests` counts the chat requests it got."""

    def __init__(self, delay: float = 0.0) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self.delay = delay
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def env(self) -> dict[str, str]:
        """The settings that make `assistant` answer with this model."""
        return {"OPENAI_BASE_URL": self.base_url, "ASSISTANT_MODEL": "scripted", "OPENAI_API_KEY": "not-needed"}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type:
        import json
        import re
        from http.server import BaseHTTPRequestHandler

        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes: pieces can be flushed

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                model.requests += 1
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                prompt = "\n".join(str(m.get("content") or "") for m in payload.get("messages", []))
                first = re.search(r"^\[1\] (.+)$", prompt, re.MULTILINE)
                text = f"{first.group(1).rstrip()} [1]" if first else "I cannot tell from the sources."
                self.send_response(200)
                if not payload.get("stream"):
                    body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "scripted",
                                       "choices": [{"index": 0, "finish_reason": "stop",
                                                    "message": {"role": "assistant", "content": text}}]}).encode()
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for start in range(0, len(text), 12):
                        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
                                 "choices": [{"index": 0, "delta": {"content": text[start : start + 12]},
                                              "finish_reason": None}]}
                        self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                        self.wfile.flush()
                        time.sleep(model.delay)
                    self.wfile.write(b"data: [DONE]\n\n")
                except OSError:  # the client stopped reading (a cancelled answer)
                    return

        return Handler


@contextmanager
def scripted_model(delay: float = 0.0) -> Iterator[ScriptedModel]:
    model = ScriptedModel(delay)
    try:
        yield model
    finally:
        model.close()
