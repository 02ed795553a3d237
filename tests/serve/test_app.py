"""The API over a scripted service: the answer contract, server-sent events, tokens, limits and errors, each error
one JSON object `{"error": {"code", "message"}}` with its status."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.serve.conftest import ANSWER, TOKEN, FakeService, auth

QUESTION = {"question": "How many guards were injured?"}


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert "Traceback" not in response.text and TOKEN not in response.text
    return str(body["error"]["message"])


def _events(text: str) -> list[tuple[str, Any]]:
    from assistant.serve.client import parse_events

    return list(parse_events(iter(text.splitlines())))


# Answers -------------------------------------------------------------------------------------------

def test_ask_answers_with_the_ask_json_object(client: Any) -> None:
    response = client.post("/v1/ask", json={**QUESTION, "top_k": 3, "lenient": True}, headers=auth())
    assert response.status_code == 200
    assert response.json() == ANSWER


def test_the_question_is_cleaned_as_ask_cleans_it(client: Any, service: FakeService) -> None:
    client.post("/v1/ask", json={"question": "  How many\tguards\x07 were injured? "}, headers=auth())
    assert service.questions == ["How many guards were injured?"]


def test_a_follow_up_is_rewritten_with_the_conversation(client: Any, service: FakeService) -> None:
    client.post("/v1/ask", json={"question": "and who condemned it?",
                                 "conversation": ["Who attacked the prime minister's residence?"]}, headers=auth())
    assert service.questions == ["Who condemned it (attacked prime minister's residence)?"]


def test_a_follow_up_is_rewritten_with_the_previous_answer_when_given(client: Any, service: FakeService) -> None:
    turn = {"question": "How many of the prime minister's guards were injured?",
            "answer": "Seven of Al-Kadhimi's guards were injured in the attack [1]. The articles differ: \"seven\" [1] "
                      "and \"several\" [2]."}
    response = client.post("/v1/ask", json={"question": "and who condemned it?", "conversation": [turn]},
                           headers=auth())
    assert response.status_code == 200
    assert service.questions == ["Who condemned the attack (Al-Kadhimi)?"]
    bad = client.post("/v1/ask", json={"question": "and who condemned it?", "conversation": [{"answer": "x"}]},
                      headers=auth())
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "conversation.0.question: Field required"


def test_streamed_drafts_come_first_then_exactly_one_answer(client: Any) -> None:
    with client.stream("POST", "/v1/ask", json=QUESTION,
                       headers={**auth(), "Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds == ["draft"] * 4 + ["answer"]
    assert "".join(data["text"] for _, data in events[:-1]) == "Seven guards were injured."
    assert all(data["checked"] is False for _, data in events[:-1])
    assert events[-1][1] == ANSWER


def test_a_model_that_fails_while_streaming_ends_with_one_error_event(client: Any, service: FakeService) -> None:
    from assistant.errors import UserError

    down = "cannot reach the model server http://127.0.0.1:9: check OPENAI_BASE_URL"
    service.failure = UserError(down)
    response = client.post("/v1/ask", json=QUESTION, headers={**auth(), "Accept": "text/event-stream"})
    assert _events(response.text) == [("error", {"error": {"code": "model_unavailable", "message": down}})]
    assert "model server" in _error(client.post("/v1/ask", json=QUESTION, headers=auth()), 503, "model_unavailable")


def test_an_unexpected_failure_is_a_500_without_its_details(client: Any, service: FakeService) -> None:
    service.failure = RuntimeError("/secret/path/of/the/server")
    message = _error(client.post("/v1/ask", json=QUESTION, headers=auth()), 500, "internal")
    assert "/secret" not in message and "RuntimeError" in message


# Bad requests --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    ({"question": "   "}, "empty"),
    ({"question": "why " * 600}, "too long"),
    ({}, "question"),
    ({"question": "q", "top_k": 0}, "top_k"),
    ({"question": "q", "unknown": 1}, "unknown"),
])
def test_a_bad_question_is_400(client: Any, body: dict[str, Any], expected: str) -> None:
    assert expected in _error(client.post("/v1/ask", json=body, headers=auth()), 400, "bad_request")


def test_a_body_that_is_not_json_is_400_and_not_echoed(client: Any) -> None:
    message = _error(client.post("/v1/ask", content=b"<<not json SENTINEL>>", headers=auth()), 400, "bad_request")
    assert "SENTINEL" not in message


def test_a_body_over_the_limit_is_413(client: Any) -> None:
    big = json.dumps({"question": "x" * (300 * 1024)})
    _error(client.post("/v1/ask", content=big, headers={**auth(), "Content-Type": "application/json"}), 413,
           "too_large")


def test_unknown_paths_and_methods_are_json_errors(client: Any) -> None:
    _error(client.get("/v2/nothing"), 404, "not_found")
    _error(client.put("/v1/ask", headers=auth()), 405, "method_not_allowed")


# Tokens --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_a_missing_or_wrong_token_is_401(client: Any, headers: dict[str, str]) -> None:
    _error(client.post("/v1/ask", json=QUESTION, headers=headers), 401, "unauthorized")
    _error(client.get("/v1/sources", headers=headers), 401, "unauthorized")
    _error(client.post("/v1/articles?name=a.txt", content=b"Text.", headers=headers), 401, "unauthorized")
    _error(client.delete("/v1/articles/abc", headers=headers), 401, "unauthorized")


def test_health_and_docs_need_no_token(client: Any) -> None:
    assert client.get("/health").json()["status"] == "ready"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/ask", "/v1/sources", "/v1/articles", "/v1/articles/{article_id}", "/health"} <= set(paths)


def test_without_a_token_reads_are_open_and_writes_are_401() -> None:
    from fastapi.testclient import TestClient

    from assistant.serve import create_app

    service = FakeService()
    with TestClient(create_app(service)) as client:
        assert client.post("/v1/ask", json=QUESTION).status_code == 200
        _error(client.post("/v1/articles?name=a.txt", content=b"Some text."), 401, "unauthorized")
    service.admission.shutdown()


# Queue and readiness -------------------------------------------------------------------------------

def test_a_full_queue_is_429_with_retry_after(client: Any, service: FakeService) -> None:
    service.gate = threading.Event()
    held = [service.admission.submit(lambda cancel: service.gate.wait(10)) for _ in range(2)]  # running + 1 waiting
    response = client.post("/v1/ask", json=QUESTION, headers=auth())
    _error(response, 429, "busy")
    assert int(response.headers["Retry-After"]) >= 1
    streamed = client.post("/v1/ask", json=QUESTION, headers={**auth(), "Accept": "text/event-stream"})
    _error(streamed, 429, "busy")  # refused before any event is sent
    service.gate.set()
    for future, _ in held:
        future.result(5)


def test_while_the_models_load_every_use_is_503_and_health_says_so(client: Any, service: FakeService) -> None:
    service.state = "loading"
    health = client.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "loading"
    _error(client.post("/v1/ask", json=QUESTION, headers=auth()), 503, "loading")
    _error(client.get("/v1/sources", headers=auth()), 503, "loading")


# Uploads -------------------------------------------------------------------------------------------

ARTICLE = "Storm hits Lima\n\nA storm hit Lima on Monday. Officials said 40 homes lost power.\n"


def test_an_upload_is_saved_under_its_name_and_ingested(client: Any, service: FakeService) -> None:
    response = client.post("/v1/articles", json={"articles": [{"name": "storm.txt", "text": ARTICLE}]},
                           headers=auth())
    assert response.status_code == 200, response.text
    report = response.json()
    (source,) = report["ingested"]
    assert source.endswith("/uploads/storm.txt") and report["articles"][0]["source"] == source
    assert service.session.ingested == [(source, ARTICLE)]
    raw = client.post("/v1/articles?name=storm2.html", content=f"<p>{ARTICLE}</p>".encode(),
                      headers={**auth(), "Content-Type": "text/html"})
    assert raw.status_code == 200 and raw.json()["ingested"][0].endswith("/uploads/storm2.html")


@pytest.mark.parametrize(("articles", "status", "code", "expected"), [
    ([{"name": "../../etc/passwd", "text": ARTICLE}], 400, "bad_request", "plain file name"),
    ([{"name": "/tmp/x.txt", "text": ARTICLE}], 400, "bad_request", "plain file name"),
    ([{"name": ".hidden.txt", "text": ARTICLE}], 400, "bad_request", "plain file name"),
    ([{"name": "ok.txt", "text": ARTICLE}, {"name": "binary.txt", "text": "\x00\x01\x02" * 10}], 400,
     "bad_article", "binary.txt: binary file"),
    ([{"name": "ok.txt", "text": ARTICLE}, {"name": "empty.html", "text": "<html><body></body></html>"}], 400,
     "bad_article", "empty.html: no text"),
    ([{"name": "a.txt", "text": ARTICLE}, {"name": "a.txt", "text": ARTICLE}], 400, "bad_request", "same name"),
    ([], 400, "bad_request", "articles"),
])
def test_a_bad_upload_is_one_error_and_stores_nothing(client: Any, service: FakeService,
                                                     articles: list[dict[str, str]], status: int, code: str,
                                                     expected: str) -> None:
    response = client.post("/v1/articles", json={"articles": articles}, headers=auth())
    assert expected in _error(response, status, code)
    assert service.session.ingested == []
    assert not (service.settings.home / "uploads").exists() or not any((service.settings.home / "uploads").iterdir())


def test_an_upload_over_the_limit_is_413_and_stores_nothing(client: Any, service: FakeService) -> None:
    body = ARTICLE * 100  # over the fixture's 4,096-byte limit
    _error(client.post("/v1/articles?name=big.txt", content=body.encode(), headers=auth()), 413, "too_large")

    def chunks() -> Any:  # no declared length: counted as it is read
        for _ in range(100):
            yield ARTICLE.encode()

    _error(client.post("/v1/articles?name=big.txt", content=chunks(), headers=auth()), 413, "too_large")
    assert service.session.ingested == []


def test_a_raw_upload_needs_a_name(client: Any) -> None:
    assert "name" in _error(client.post("/v1/articles", content=ARTICLE.encode(), headers=auth()), 400,
                            "bad_request")
