"""`assistant ask` against a real OpenAI-compatible server: llama-cpp-python's server with the embedded GGUF.

The server runs on 127.0.0.1 for this module only; the CLI runs as a subprocess with `OPENAI_BASE_URL` set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import (
    QUESTION,
    assert_verified_guards_answer,
    clone_home,
    one_json_object,
    run_cli,
    warm_home,
)
from tests.integration.servers import loopback_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
FAKE_KEY = "sk-test-SECRET-123"
MODEL_ALIAS = "smollm2-remote"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, model id) of a llama-cpp-python server with SmolLM2 on a free port, stopped at the end."""
    from assistant.runtime import smollm2_path

    def command(port: int) -> list[str]:
        return [str(PYTHON), "-m", "llama_cpp.server", "--model", str(smollm2_path()), "--model_alias", MODEL_ALIAS,
                "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"]

    with loopback_server(command, "/v1/models", tmp_path_factory.mktemp("llama-server")) as (port, models):
        yield f"http://127.0.0.1:{port}/v1", str(models["data"][0]["id"])


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
