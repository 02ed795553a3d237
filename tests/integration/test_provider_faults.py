"""A misbehaving OpenAI-compatible server on 127.0.0.1 against the real `assistant ask --json`.

The server (started here, in a thread) answers 401, 429, 5xx, too slowly, drops the connection mid-stream or
sends malformed bodies, and counts the requests it gets, so that retries are checked. Every run sets a
recognisable fake API key that must never appear in anything the command prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_cli, warm_home
from tests.conftest import SEEDS, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT = ROOT / ".venv" / "bin" / "assistant"
QUESTION = "How many guards were injured?"
FAKE_KEY = "sk-fake-LEAKCHECK-0123456789abcdef"
TIMEOUT = "1"  # ASSISTANT_REQUEST_TIMEOUT for every run: keeps retries of a slow server short
ANSWER = ["Seven of", " the prime minister's", " security guards were", " injured in the attack", " [1]."]


# The server -----------------------------------------------------------------------------------------

@dataclass
class Behaviour:
    """What the fake server does next, and what it saw."""

    mode: str = "ok"
    failures_before_ok: int = 0  # for "flaky": how many 503s before a good answer
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _chunk(content: str | None = None, finish: str | None = None, role: bool = False) -> bytes:
    delta: dict[str, Any] = {"content": content} if content is not None else {}
    if role:
        delta["role"] = "assistant"
    body = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _send(self, status: int, body: bytes, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
            body = json.dumps({"error": {"message": message, "type": "fake", "code": status}}).encode()
            self._send(status, body, headers=headers)

        def do_GET(self) -> None:
            self._send(200, json.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model"}]}).encode())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            behaviour.requests.append({"path": self.path, "auth": self.headers.get("Authorization", ""),
                                       "retry": self.headers.get("x-stainless-retry-count"), "body": payload})
            mode = behaviour.mode
            if mode == "flaky" and len(behaviour.requests) <= behaviour.failures_before_ok:
                mode = "503"
            if mode == "401":  # like OpenAI, the message echoes the key
                self._error(401, f"Incorrect API key provided: {FAKE_KEY}.")
            elif mode == "429":
                self._error(429, f"Rate limit reached for key {FAKE_KEY}", headers={"Retry-After": "0"})
            elif mode in ("500", "503"):
                self._error(int(mode), f"upstream failure (key {FAKE_KEY})")
            elif mode == "slow":
                behaviour.release.wait(10)  # far beyond the client's timeout; released at teardown
                self._error(500, "too late")
            elif mode == "drop":  # promise a long body, send part of the answer, then hang up
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(_chunk(ANSWER[0], role=True) + _chunk(ANSWER[1]))
                self.wfile.flush()
                self.close_connection = True
            elif mode == "not-json":
                self._send(200, b"<html>this is not an API</html>", "text/html")
            elif mode == "bad-sse":
                self._send(200, _chunk("Seven", role=True) + b"data: {this is not json\n\n", "text/event-stream")
            elif mode == "no-choices":
                self._send(200, b'data: {"id": "x", "object": "chat.completion.chunk"}\n\n'
                           b'data: {"unexpected": [1, 2, 3]}\n\ndata: [DONE]\n\n', "text/event-stream")
            elif mode == "error-event":
                self._send(200, b'data: {"error": {"message": "model overloaded"}}\n\n', "text/event-stream")
            elif payload.get("stream"):
                body = _chunk(ANSWER[0], role=True) + b"".join(_chunk(part) for part in ANSWER[1:])
                self._send(200, body + _chunk(finish="stop") + b"data: [DONE]\n\n", "text/event-stream")
            else:
                message = {"role": "assistant", "content": "".join(ANSWER)}
                self._send(200, json.dumps({"id": "x", "object": "chat.completion", "created": 0,
                                            "model": "fake-model", "choices": [
                                                {"index": 0, "message": message, "finish_reason": "stop"}]}).encode())

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Behaviour]]:
    """(base URL, behaviour) of the fake server, for the whole module; stopped at the end."""
    behaviour = Behaviour()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", behaviour
    finally:
        behaviour.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture
def fake(server: tuple[str, Behaviour]) -> tuple[str, Behaviour]:
    """The server, reset to answer well and with no requests recorded."""
    base_url, behaviour = server
    behaviour.mode, behaviour.failures_before_ok = "ok", 0
    behaviour.requests.clear()
    return base_url, behaviour


# The command ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("provider-faults") / "home"
    shutil.copytree(warm_home(tmp_path_factory), target, ignore=shutil.ignore_patterns(".ready"))
    return target


def ask(base_url: str, home: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    settings = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": FAKE_KEY, "ASSISTANT_MODEL": "fake-model",
                "ASSISTANT_REQUEST_TIMEOUT": TIMEOUT, **(env or {})}
    result = run_cli("ask", "--json", *extra, QUESTION, home=home, env=settings)
    assert FAKE_KEY not in result.stdout + result.stderr
    assert "LEAKCHECK" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one `error:` line, after checking there is no answer on stdout and the exit code is 1."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def attempts(behaviour: Behaviour) -> int:
    return sum(1 for r in behaviour.requests if r["path"].endswith("/chat/completions"))


# Tests ----------------------------------------------------------------------------------------------

def test_a_good_server_gives_a_verified_answer(fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, behaviour = fake
    result = ask(base_url, home)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["abstained"] is False
    assert re.search(r"\bseven\b", answer["answer"], re.IGNORECASE)
    numbers = {c["n"] for c in answer["citations"]}
    assert all(s["citations"] and set(s["citations"]) <= numbers for s in answer["sentences"])
    assert attempts(behaviour) == 1
    assert behaviour.requests[0]["auth"] == f"Bearer {FAKE_KEY}"  # sent to the configured server only


def test_401_names_the_key_without_showing_it(fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, behaviour = fake
    behaviour.mode = "401"
    line = error_line(ask(base_url, home))
    server = base_url.removesuffix("/v1")
    assert line == f"error: {server} refused the API key (401): check OPENAI_API_KEY"  # what is wrong, and where
    assert attempts(behaviour) == 1  # a rejected key is not retried


@pytest.mark.parametrize(("mode", "expected"), [
    ("429", "429"),
    ("500", "failed with 500 after 3 attempts"),
    ("503", "failed with 503 after 3 attempts"),
])
def test_rate_limits_and_server_errors_are_retried_then_explained(mode: str, expected: str,
                                                                 fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, behaviour = fake
    behaviour.mode = mode
    line = error_line(ask(base_url, home))
    assert expected in line
    assert attempts(behaviour) == 3  # the first try and two retries, no more
    assert [r["retry"] for r in behaviour.requests] == ["0", "1", "2"]


def test_a_transient_503_is_retried_and_the_answer_arrives(fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, behaviour = fake
    behaviour.mode, behaviour.failures_before_ok = "flaky", 1
    result = ask(base_url, home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["abstained"] is False
    assert attempts(behaviour) == 2


def test_a_server_that_does_not_answer_in_time(fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, behaviour = fake
    behaviour.mode = "slow"
    line = error_line(ask(base_url, home))
    assert "timed out" in line and "ASSISTANT_REQUEST_TIMEOUT" in line
    assert attempts(behaviour) == 3


def test_a_connection_dropped_mid_stream_shows_no_answer(fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, behaviour = fake
    behaviour.mode = "drop"
    result = ask(base_url, home)
    line = error_line(result)  # nothing on stdout: the partial draft is never shown as an answer
    assert "closed the connection before the answer was complete" in line
    assert "Seven of" not in result.stderr


@pytest.mark.parametrize("mode", ["bad-sse", "no-choices", "error-event"])
def test_malformed_streams_are_one_clear_error(mode: str, fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, behaviour = fake
    behaviour.mode = mode
    line = error_line(ask(base_url, home))
    assert "could not be read" in line


def test_a_body_that_is_not_an_event_stream_gives_no_unverified_text(fake: tuple[str, Behaviour],
                                                                     home: Path) -> None:
    """An HTML page instead of events carries no draft: either an error, or an answer built only from quotes."""
    base_url, behaviour = fake
    behaviour.mode = "not-json"
    result = ask(base_url, home)
    if result.returncode != 0:
        assert "could not be read" in error_line(result)
        return
    answer = json.loads(result.stdout)
    assert "html" not in answer["answer"].lower()
    numbers = {c["n"] for c in answer["citations"]}
    assert all(s["citations"] and set(s["citations"]) <= numbers for s in answer["sentences"])


def test_a_debug_traceback_has_the_key_blanked_out(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """With ASSISTANT_DEBUG=1 the traceback is printed, but an exception text holding the key is redacted."""
    from assistant import cli

    def explode(**_: object) -> None:
        raise RuntimeError(f"the provider said: bad key {FAKE_KEY}")

    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ASSISTANT_DEBUG", "1")
    monkeypatch.setattr(cli, "app", explode)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "bad key ***" in err
    assert FAKE_KEY not in err

    monkeypatch.delenv("ASSISTANT_DEBUG")
    with pytest.raises(SystemExit):
        cli.main()
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected RuntimeError") and FAKE_KEY not in err and "Traceback" not in err


def test_config_never_shows_the_key(fake: tuple[str, Behaviour], home: Path) -> None:
    base_url, _ = fake
    env = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": FAKE_KEY}
    for args in (("config",), ("config", "--json")):
        result = run_cli(*args, home=home, env=env)
        assert result.returncode == 0, result.stderr
        assert FAKE_KEY not in result.stdout + result.stderr
        assert "LEAKCHECK" not in result.stdout + result.stderr
    view = json.loads(run_cli("config", "--json", home=home, env=env).stdout)
    assert view["openai_api_key"] == "set"


def test_openai_embeddings_rejected_during_ingest_do_not_leak_the_key(fake: tuple[str, Behaviour],
                                                                      tmp_path: Path) -> None:
    base_url, behaviour = fake
    behaviour.mode = "401"
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEEDS / sorted(os.listdir(SEEDS))[0], folder / "one.txt")
    env = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": FAKE_KEY, "ASSISTANT_EMBEDDING": "openai",
           "ASSISTANT_REQUEST_TIMEOUT": TIMEOUT}
    result = run_cli("ingest", str(folder), home=tmp_path / "home", env=env)
    assert FAKE_KEY not in result.stdout + result.stderr
    assert "refused the API key (401)" in error_line(result)
    assert any(r["path"].endswith("/embeddings") for r in behaviour.requests)


def test_an_unreachable_server_is_one_clear_error(home: Path) -> None:
    port = free_port()
    line = error_line(ask(f"http://127.0.0.1:{port}/v1", home))
    server = f"http://127.0.0.1:{port}"
    assert line == f"error: cannot reach the model server {server}: check OPENAI_BASE_URL and that it runs"
