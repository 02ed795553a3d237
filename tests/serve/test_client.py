"""The client of `ask --server` and `chat --server` against the API over a scripted service: answers, streaming,
429s waited out, errors as one line; and the chat's remote backend on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import UserError
from assistant.serve import ServiceClient
from tests.serve.conftest import ANSWER, TOKEN, FakeService


@pytest.fixture
def remote(client: Any) -> Iterator[ServiceClient]:
    """A `ServiceClient` whose HTTP goes to the in-process app."""
    service_client = ServiceClient("http://testserver", TOKEN)
    service_client._http.close()
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    service_client._http = client
    yield service_client


def test_ask_returns_the_answer_object(remote: ServiceClient, service: FakeService) -> None:
    assert remote.ask(" How many guards were injured? ", top_k=3, lenient=True) == ANSWER
    assert service.questions == ["How many guards were injured?"]


def test_a_streamed_answer_hands_the_draft_to_on_token(remote: ServiceClient) -> None:
    pieces: list[str] = []
    assert remote.ask("How many guards were injured?", on_token=pieces.append) == ANSWER
    assert "".join(pieces) == "Seven guards were injured."


def test_a_429_is_waited_out(remote: ServiceClient, service: FakeService, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    held = [service.admission.submit(lambda cancel: gate.wait(10)) for _ in range(2)]
    waits: list[float] = []

    def wait(response: Any) -> None:
        waits.append(float(response.headers["retry-after"]))
        gate.set()
        for future, _ in held:
            future.result(5)

    monkeypatch.setattr(ServiceClient, "_wait", staticmethod(wait))
    assert remote.ask("How many guards were injured?") == ANSWER
    assert len(waits) == 1 and waits[0] >= 1


def test_service_errors_are_one_line_user_errors(remote: ServiceClient, service: FakeService) -> None:
    with pytest.raises(UserError, match="the question is empty"):
        remote.ask("   ")
    service.failure = UserError("cannot reach the model server http://127.0.0.1:9")
    with pytest.raises(UserError, match="cannot reach the model server"):
        remote.ask("q", on_token=lambda _: None)
    remote._http.headers["Authorization"] = "Bearer wrong"
    with pytest.raises(UserError, match=r"refused the request \(401\).*ASSISTANT_API_TOKEN") as refused:
        remote.sources()
    assert "wrong" not in str(refused.value)


def test_articles_and_sources(remote: ServiceClient) -> None:
    assert remote.sources() == [{"id": "a" * 24, "source": "/a.txt", "title": "A", "chunks": 1}]
    article = remote.article("a" * 24)
    assert article is not None and article["text"][0:26] == ANSWER["citations"][0]["quote"]
    assert remote.article("0" * 24) is None


@pytest.mark.parametrize("url", ["ftp://host", "http://", "://"])
def test_a_bad_url_is_a_user_error(url: str) -> None:
    with pytest.raises(UserError, match="invalid service URL"):
        ServiceClient(url)


def test_the_chat_backend_asks_and_uploads_through_the_service(remote: ServiceClient, service: FakeService,
                                                                 tmp_path: Path) -> None:
    from assistant.chat.backend import RemoteBackend

    backend = RemoteBackend(service.settings, "http://testserver")
    backend.client = remote
    notices: list[str] = []
    backend.open(notices.append, lambda done, total, name: None)
    assert backend.article_count() == 1
    assert backend.article_text("/a.txt") is None  # not the id of "/a.txt": the service has no such article
    assert backend.model_name == service.model_name and "testserver" in notices[0]
    with pytest.raises(UserError, match="answers with"):
        backend.engine("another-model")
    drafted: list[str] = []
    answer = backend.engine(None).ask("How many guards were injured?", on_token=drafted.append)
    assert answer.to_json() == ANSWER and "".join(drafted) == "Seven guards were injured."
    assert answer.sentences[0].marks == [(0, 5)]  # "Seven": the chat marks the answer of a remote reply too
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "storm.txt").write_text("Storm hits Lima\n\nA storm hit Lima on Monday. 40 homes lost power.\n")
    (folder / "photo.txt").write_bytes(b"\x00\x89PNG" * 10)
    summary = backend.ingest([folder], notices.append, lambda done, total, name: None)
    assert summary.startswith("1 ingested, 0 unchanged, 1 skipped")
    assert [Path(source).name for source, _ in service.session.ingested] == ["storm.txt"]
    assert any("photo.txt" in notice and "binary" in notice for notice in notices)
