"""`assistant ask` against a real OpenAI-compatible server: llama-cpp-python's server with the embedded GGUF.

The server runs on 127.0.0.1 for this module only; the CLI runs as a subprocess with `OPENAI_BASE_URL` set.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import (
    QUESTION,
    assert_verified_guards_answer,
    clone_home,
    get_json,
    one_json_object,
    run_cli,
    stop,
    warm_home,
)
from tests.conftest import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
FAKE_KEY = "sk-test-SECRET-123"
MODEL_ALIAS = "smollm2-remote"
START_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, model id) of a llama-cpp-python server with SmolLM2 on a free port, stopped at the end."""
    from assistant.runtime import smollm2_path

    gguf = smollm2_path()
    log_dir = tmp_path_factory.mktemp("llama-server")
    last_error = ""
    for attempt in range(3):  # another process may take the free port before the server binds it
        port = free_port()
        log = log_dir / f"server-{attempt}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(PYTHON), "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL_ALIAS,
                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            models: Any = None
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    models = get_json(f"http://127.0.0.1:{port}/v1/models")
                    break
                except OSError:
                    time.sleep(0.25)
            if models is None:
                last_error = log.read_text(errors="replace")[-2000:]
                stop(process)
                continue
            model_id = str(models["data"][0]["id"])
            yield f"http://127.0.0.1:{port}/v1", model_id
            return
        finally:
            stop(process)
    pytest.fail(f"the llama.cpp server did not start within {START_TIMEOUT:.0f} s:\n{last_error}")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_home(warm_home(tmp_path_factory), tmp_path_factory.mktemp("openai") / "home")


# Tests --------------------------------------------------------------------------------------------

def test_server_names_the_model(llama_server: tuple[str, str]) -> None:
    assert llama_server[1] == MODEL_ALIAS


def test_ask_json_through_the_openai_compatible_server(llama_server: tuple[str, str], home: Path) -> None:
    base_url, model_id = llama_server
    result = run_cli("ask", "--json", QUESTION, home=home,
                     env={"OPENAI_BASE_URL": base_url, "ASSISTANT_MODEL": model_id})
    assert result.returncode == 0, result.stderr
    answer = one_json_object(result.stdout)
    assert answer["model"] == model_id
    assert answer["question"] == QUESTION
    assert_verified_guards_answer(answer)
    assert "Traceback" not in result.stderr


def test_api_key_with_base_url_is_accepted_and_never_shown(llama_server: tuple[str, str], home: Path) -> None:
    base_url, model_id = llama_server
    env = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": FAKE_KEY}
    result = run_cli("ask", "--json", "--model", model_id, QUESTION, home=home, env=env)
    assert result.returncode == 0, result.stderr
    answer = one_json_object(result.stdout)
    assert answer["model"] == model_id
    assert_verified_guards_answer(answer)
    assert "SECRET" not in result.stdout + result.stderr

    shown = run_cli("config", "--json", home=home, env=env)
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["provider"] == "openai-compatible"
    assert view["openai_api_key"] == "set"
    assert view["openai_base_url"] == base_url
    assert "SECRET" not in shown.stdout + shown.stderr
