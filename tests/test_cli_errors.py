"""Provider and input errors through the real command line: one `error:` line on stderr, no traceback, exit 1.

Covers a model server that is down, one that rejects the API key (a tiny HTTP server started here), unknown
models and model files, empty questions and a missing ingest path.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.cli_helpers import QUESTION, clone_home, error_line, run_cli, warm_home
from tests.conftest import free_port

pytestmark = pytest.mark.slow

FAKE_KEY = "sk-test-SECRET-123"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded data folder, so that errors are reached without ingesting first."""
    return clone_home(warm_home(tmp_path_factory), tmp_path_factory.mktemp("cli-errors") / "home")


# A server that rejects every request with 401 ---------------------------------------------------------

def _rejecting_handler(seen: list[str]) -> type[BaseHTTPRequestHandler]:
    """A handler answering 401 like OpenAI does (its message echoes the key), recording Authorization headers."""

    class Rejecting(BaseHTTPRequestHandler):
        def _reject(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            seen.append(self.headers.get("Authorization", ""))
            body = json.dumps({"error": {"message": f"Incorrect API key provided: {FAKE_KEY}.",
                                         "type": "invalid_request_error", "param": None,
                                         "code": "invalid_api_key"}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _reject

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    return Rejecting


@pytest.fixture
def rejecting_server() -> Iterator[tuple[str, list[str]]]:
    """(base URL, Authorization headers received) of a local server answering 401 to everything."""
    seen: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _rejecting_handler(seen))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# Tests ----------------------------------------------------------------------------------------------

def test_model_server_that_is_down(home: Path) -> None:
    env = {"OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "ASSISTANT_MODEL": "any-model"}
    line = error_line(run_cli("ask", "--json", QUESTION, home=home, env=env))
    assert "cannot reach the model server" in line


def test_rejected_api_key_is_named_but_never_printed(home: Path, rejecting_server: tuple[str, list[str]]) -> None:
    base_url, seen = rejecting_server
    env = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": FAKE_KEY, "ASSISTANT_MODEL": "any-model"}
    result = run_cli("ask", QUESTION, home=home, env=env)
    line = error_line(result)
    assert "api key" in line.lower()
    assert "SECRET" not in result.stdout + result.stderr
    assert seen, "the model server was never called"
    assert set(seen) == {f"Bearer {FAKE_KEY}"}  # the key is sent to the server that was configured


def test_unknown_model_without_a_provider(home: Path) -> None:
    line = error_line(run_cli("ask", "--model", "nonexistent-model", QUESTION, home=home))
    assert "unknown model" in line
    assert "nonexistent-model" in line


def test_unknown_model_in_an_empty_store_fails_before_ingesting(tmp_path_factory: pytest.TempPathFactory,
                                                               tmp_path: Path) -> None:
    fresh = tmp_path / "home"
    fresh.mkdir()
    onnx = warm_home(tmp_path_factory) / "onnx"
    if onnx.is_dir():  # only the embedding model's cached export: the store is empty
        shutil.copytree(onnx, fresh / "onnx")
    line = error_line(run_cli("ask", "--model", "nonexistent-model", QUESTION, home=fresh))
    assert "unknown model" in line


def test_missing_model_file(home: Path) -> None:
    line = error_line(run_cli("ask", "--model", "/no/such/file.gguf", QUESTION, home=home))
    assert "no such model file" in line
    assert "/no/such/file.gguf" in line


@pytest.mark.parametrize(("args", "stdin"), [
    (("ask", ""), ""),
    (("ask", "-"), ""),
    (("ask", "--json", "-"), " \n\t\n"),
], ids=["empty-argument", "empty-stdin", "blank-stdin-json"])
def test_empty_question(args: tuple[str, ...], stdin: str, tmp_path: Path) -> None:
    line = error_line(run_cli(*args, home=tmp_path / "home", stdin=stdin))
    assert "the question is empty" in line


def test_ingest_of_a_missing_path(tmp_path: Path) -> None:
    line = error_line(run_cli("ingest", "/no/such/path", home=tmp_path / "home"))
    assert "/no/such/path" in line

