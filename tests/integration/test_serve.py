"""`assistant serve` as users run it: real uvicorn processes on 127.0.0.1 (started, waited for at /health, stopped),
the embedded model for the answer contract, and a scripted model server for the rest (fast, and as slow as a test
needs): tokens, uploads, the bounded queue, a client that goes away, a model server that is down, and two services
sharing one Chroma server."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli_helpers import QUESTION, clone_home, error_line, one_json_object, run_cli, warm_home
from tests.conftest import free_port
from tests.integration.servers import (
    CHROMA_READY,
    SERVE_READY,
    ScriptedModel,
    chroma_command,
    loopback_server,
    scripted_model,
    serve_command,
)

TOKEN = "serve-test-TOKEN-8f2a61"
ARTICLE = ("Flood closes the Varnholt bridge\n\nThe Varnholt bridge over the river Elmsa was closed on Tuesday after "
           "a flood. Engineers said 214 bolts must be replaced before it opens again. The repairs will take eleven "
           "weeks, the city said.\n")
ARTICLE_QUESTION = "How many bolts must be replaced on the Varnholt bridge?"


def _client(url: str, token: str | None = TOKEN) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=120, trust_env=False)


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert "Traceback" not in response.text and TOKEN not in response.text
    return str(body["error"]["message"])


def _without_timings(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


def _events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    from assistant.serve.client import parse_events

    return parse_events(response.iter_lines())


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the seeds ingested."""
    return clone_home(warm_home(tmp_path_factory), tmp_path_factory.mktemp("serve") / "home")


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedModel]:
    with scripted_model(delay=0.15) as scripted:
        yield scripted


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory, model: ScriptedModel) -> Iterator[tuple[str, Path]]:
    """(URL, log) of a service answering with the scripted model: a token, no waiting room (one question at a
    time, any other is 429), and a 64 KiB body limit."""
    logs = tmp_path_factory.mktemp("serve-scripted")
    data = clone_home(warm_home(tmp_path_factory), logs / "home")
    env = {"ASSISTANT_HOME": str(data), "ASSISTANT_API_TOKEN": TOKEN, "ASSISTANT_SERVE_QUEUE": "0",
           "ASSISTANT_SERVE_MAX_BODY_BYTES": str(64 * 1024), **model.env()}
    with loopback_server(serve_command(), SERVE_READY, logs, env=env, timeout=120) as (port, health):
        assert health["status"] == "ready" and health["model"] == "scripted"
        yield f"http://127.0.0.1:{port}", logs / "server.log"


# The contract, with the embedded model ------------------------------------------------------------------

@pytest.mark.slow
def test_the_service_answers_exactly_as_ask_json_does(home: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Same question, same store: the same object (bar the timings) from `ask --json`, from the service as JSON
    and as the last of its events (after the drafts, exactly one answer), and from `ask --server`."""
    local = run_cli("ask", "--json", QUESTION, home=home)
    assert local.returncode == 0, local.stderr
    expected = _without_timings(one_json_object(local.stdout))
    logs = tmp_path_factory.mktemp("serve-embedded")
    env = {"ASSISTANT_HOME": str(home), "ASSISTANT_API_TOKEN": TOKEN}
    with loopback_server(serve_command(), SERVE_READY, logs, env=env, timeout=240) as (port, health):
        url = f"http://127.0.0.1:{port}"
        assert health["model"] == "smollm2"
        with _client(url) as client:
            answer = client.post("/v1/ask", json={"question": QUESTION})
            assert answer.status_code == 200, answer.text
            assert _without_timings(answer.json()) == expected
            with client.stream("POST", "/v1/ask", json={"question": QUESTION},
                               headers={"Accept": "text/event-stream"}) as streamed:
                events = list(_events(streamed))
        kinds = [kind for kind, _ in events]
        assert kinds.count("answer") == 1 and kinds[-1] == "answer" and set(kinds[:-1]) == {"draft"}
        assert len(kinds) > 3 and all(data["checked"] is False for _, data in events[:-1])
        assert _without_timings(events[-1][1]) == expected
        remote = run_cli("ask", "--server", url, "--json", QUESTION, home=home, env={"ASSISTANT_API_TOKEN": TOKEN})
        assert remote.returncode == 0, remote.stderr
        assert _without_timings(one_json_object(remote.stdout)) == expected
        shown = run_cli("ask", "--server", url, QUESTION, home=home, env={"ASSISTANT_API_TOKEN": TOKEN})
        from assistant.cli import format_answer

        assert shown.returncode == 0 and shown.stdout == format_answer(expected | {"timings_ms": {}}) + "\n"
    assert TOKEN not in (logs / "server.log").read_text()


# Tokens --------------------------------------------------------------------------------------------

def test_a_missing_or_wrong_token_is_401_and_the_token_is_never_logged(scripted: tuple[str, Path]) -> None:
    url, log = scripted
    for token in (None, "wrong", TOKEN[:-1]):
        with _client(url, token) as client:
            _error(client.post("/v1/ask", json={"question": QUESTION}), 401, "unauthorized")
            _error(client.get("/v1/sources"), 401, "unauthorized")
            _error(client.post("/v1/articles", json={"articles": [{"name": "a.txt", "text": ARTICLE}]}), 401,
                   "unauthorized")
    with _client(url) as client:
        assert client.get("/v1/sources").status_code == 200
    assert TOKEN not in log.read_text()


def test_a_write_without_a_token_is_401_even_on_loopback_without_one(tmp_path: Path, model: ScriptedModel,
                                                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    data = clone_home(warm_home(tmp_path_factory), tmp_path / "home")
    env = {"ASSISTANT_HOME": str(data), **model.env()}
    with loopback_server(serve_command(), SERVE_READY, tmp_path, env=env, timeout=120) as (port, _):  # noqa: SIM117
        with _client(f"http://127.0.0.1:{port}", None) as client:
            assert client.get("/v1/sources").status_code == 200  # reads are open on loopback without a token
            _error(client.post("/v1/articles?name=a.txt", content=ARTICLE.encode()), 401, "unauthorized")
            _error(client.delete("/v1/articles/5fb7a84452cfb4714b95be1b"), 401, "unauthorized")
            assert len(client.get("/v1/sources").json()) == 5


def test_serving_beyond_loopback_without_a_token_is_one_error_line(tmp_path: Path) -> None:
    line = error_line(run_cli("serve", "--host", "0.0.0.0", "--port", str(free_port()), home=tmp_path / "home"))
    assert "ASSISTANT_API_TOKEN" in line


def test_ask_through_a_service_that_is_not_running_is_one_error_line(tmp_path: Path) -> None:
    line = error_line(run_cli("ask", "--server", f"http://127.0.0.1:{free_port()}", QUESTION, home=tmp_path))
    assert "cannot reach the assistant service" in line


# Uploads -------------------------------------------------------------------------------------------

def test_an_uploaded_article_is_answerable_readable_and_deletable(scripted: tuple[str, Path]) -> None:
    url, _ = scripted
    with _client(url) as client:
        report = client.post("/v1/articles", json={"articles": [{"name": "varnholt.txt", "text": ARTICLE}]})
        assert report.status_code == 200, report.text
        (stored,) = report.json()["articles"]
        again = client.post("/v1/articles?name=varnholt.txt", content=ARTICLE.encode(),
                            headers={"Content-Type": "text/plain"})
        assert again.json()["unchanged"] == [stored["source"]] and again.json()["ingested"] == []  # idempotent
        answer = client.post("/v1/ask", json={"question": ARTICLE_QUESTION}).json()
        assert "214" in answer["answer"], answer
        article = client.get(f"/v1/articles/{stored['id']}").json()
        assert article["text"] == ARTICLE and article["title"] == "Flood closes the Varnholt bridge"
        cited = [c for c in answer["citations"] if c["source"] == stored["source"]]
        assert cited and all(article["text"][c["start"] : c["end"]] == c["quote"] for c in cited)
        assert client.delete(f"/v1/articles/{stored['id']}").status_code == 200
        _error(client.get(f"/v1/articles/{stored['id']}"), 404, "not_found")
        assert stored["id"] not in {a["id"] for a in client.get("/v1/sources").json()}
        assert "214" not in client.post("/v1/ask", json={"question": ARTICLE_QUESTION}).json()["answer"]


def test_bad_or_too_large_uploads_are_one_error_and_store_nothing(scripted: tuple[str, Path]) -> None:
    url, _ = scripted
    with _client(url) as client:
        before = client.get("/v1/sources").json()
        bad = client.post("/v1/articles", json={"articles": [{"name": "good.txt", "text": ARTICLE},
                                                              {"name": "photo.txt", "text": "\x00\x89PNG" * 50}]})
        assert "photo.txt: binary file" in _error(bad, 400, "bad_article")
        _error(client.post("/v1/articles?name=../../x.txt", content=ARTICLE.encode()), 400, "bad_request")
        _error(client.post("/v1/articles?name=big.txt", content=ARTICLE.encode() * 400), 413, "too_large")
        assert client.get("/v1/sources").json() == before


# The queue -----------------------------------------------------------------------------------------

def test_a_full_queue_is_429_and_a_client_gone_mid_stream_frees_its_slot(scripted: tuple[str, Path],
                                                                         model: ScriptedModel) -> None:
    url, _ = scripted
    with _client(url) as client:
        with client.stream("POST", "/v1/ask", json={"question": QUESTION},
                           headers={"Accept": "text/event-stream"}) as streamed:
            first = next(_events(streamed))
            assert first[0] == "draft"
            with _client(url) as other:
                refused = other.post("/v1/ask", json={"question": QUESTION})
            _error(refused, 429, "busy")
            assert int(refused.headers["Retry-After"]) >= 1
            requests = model.requests
        # The stream is closed mid-draft (it lasts ~3 s): the model stops, and the slot is free again.
        deadline = time.monotonic() + 5
        while client.get("/health").json()["queued"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/health").json()["queued"] == 0
        assert time.monotonic() < deadline
        answered = client.post("/v1/ask", json={"question": QUESTION})
        assert answered.status_code == 200 and model.requests == requests + 1


def test_the_client_retries_429s_as_the_service_says(scripted: tuple[str, Path]) -> None:
    """Two questions at once through one slot: the client waits out the 429 and both are answered."""
    from assistant.serve import ServiceClient

    url, _ = scripted
    answers: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: answers.append(ServiceClient(url, TOKEN).ask(QUESTION)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 2 and answers[0]["answer"] == answers[1]["answer"]


# Failures ------------------------------------------------------------------------------------------

def test_a_model_server_that_is_down_is_503(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    data = clone_home(warm_home(tmp_path_factory), tmp_path / "home")
    env = {"ASSISTANT_HOME": str(data), "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
           "ASSISTANT_MODEL": "gone", "OPENAI_API_KEY": "not-needed"}
    with loopback_server(serve_command(), SERVE_READY, tmp_path, env=env, timeout=120) as (port, _):  # noqa: SIM117
        with _client(f"http://127.0.0.1:{port}", None) as client:
            message = _error(client.post("/v1/ask", json={"question": QUESTION}), 503, "model_unavailable")
            assert "cannot reach the model server" in message
            with client.stream("POST", "/v1/ask", json={"question": QUESTION},
                               headers={"Accept": "text/event-stream"}) as streamed:
                assert [kind for kind, _ in _events(streamed)] == ["error"]
    assert "Traceback" not in (tmp_path / "server.log").read_text()


# Scale-out -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_two_services_share_one_chroma_server(tmp_path: Path, model: ScriptedModel,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """docs/serve.md's recipe: an article uploaded through one service is answerable through the other."""
    onnx = warm_home(tmp_path_factory) / "onnx"
    homes = []
    for name in ("a", "b"):
        homes.append(tmp_path / name / "home")
        homes[-1].mkdir(parents=True)
        if onnx.is_dir():
            shutil.copytree(onnx, homes[-1] / "onnx")
    with loopback_server(lambda port: chroma_command(tmp_path / "db", port), CHROMA_READY, tmp_path) as (chroma, _):
        chroma_url = f"http://127.0.0.1:{chroma}"

        def service(home: Path) -> Any:
            env = {"ASSISTANT_HOME": str(home), "ASSISTANT_API_TOKEN": TOKEN, **model.env()}
            return loopback_server(serve_command("--chroma-url", chroma_url), SERVE_READY, home.parent, env=env,
                                   timeout=180)

        with service(homes[0]) as (port_a, _), service(homes[1]) as (port_b, _):  # noqa: SIM117
            with _client(f"http://127.0.0.1:{port_a}") as a, _client(f"http://127.0.0.1:{port_b}") as b:
                assert len(b.get("/v1/sources").json()) == 5  # the seeds, ingested once by the first service
                uploaded = a.post("/v1/articles", json={"articles": [{"name": "varnholt.txt", "text": ARTICLE}]})
                assert uploaded.status_code == 200, uploaded.text
                (stored,) = uploaded.json()["articles"]
                answer = b.post("/v1/ask", json={"question": ARTICLE_QUESTION}).json()
                assert "214" in answer["answer"] and stored["source"] in {c["source"] for c in answer["citations"]}
                assert b.get(f"/v1/articles/{stored['id']}").json()["text"] == ARTICLE
    assert TOKEN not in (homes[0].parent / "server.log").read_text()
