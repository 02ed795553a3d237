"""Provider failures as one line that names what is wrong and where: the server that refused the key or could not
be reached, and OPENAI_BASE_URL only when it is set (hand-built `openai` exceptions; no request is sent)."""

from __future__ import annotations

import httpx
import openai
import pytest

from assistant.errors import UserError
from assistant.runtime import translate_llm_error

OPENAI = httpx.Request("POST", "https://api.openai.com/v1/chat/completions?key=secret")


def _message(exc: BaseException) -> str:
    error = translate_llm_error(exc)
    assert isinstance(error, UserError)
    return str(error)


def test_a_refused_key_names_the_server_and_the_key_setting_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    response = httpx.Response(401, request=OPENAI, json={"error": {"message": "Incorrect API key provided"}})
    message = _message(openai.AuthenticationError("Incorrect API key", response=response, body=None))
    assert message == "https://api.openai.com refused the API key (401): check OPENAI_API_KEY"


def test_an_unreachable_default_server_does_not_point_at_an_unset_base_url() -> None:
    message = _message(openai.APIConnectionError(request=OPENAI))
    assert message == "cannot reach the model server https://api.openai.com: check the network connection"


def test_an_unreachable_configured_server_points_at_the_base_url() -> None:
    message = _message(openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1/chat")))
    assert message == "cannot reach the model server http://127.0.0.1:9: check OPENAI_BASE_URL and that it runs"
