"""A service with scripted answers behind the real API (`create_app`), for tests that need no model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.serve import Service, create_app

TOKEN = "tok-SECRET-5d1c9e"
ANSWER: dict[str, Any] = {
    "question": "How many guards were injured?", "answer": "Seven guards were injured [1].", "abstained": False,
    "sentences": [{"text": "Seven guards were injured.", "citations": [1], "supported": True}],
    "citations": [{"n": 1, "source": "/a.txt", "title": "A", "quote": "Seven guards were injured.", "start": 0,
                   "end": 26}],
    "conflicts": [], "confidence": 0.9, "model": "scripted",
    "timings_ms": {"retrieve": 1.0, "generate": 2.0, "verify": 3.0}}


class FakeSession:
    """What uploads use of a session: `ingest` (recording the paths and their texts) and a store."""

    def __init__(self) -> None:
        self.ingested: list[tuple[str, str]] = []
        self.store = None

    def ingest(self, paths: list[Path], warn: Any, progress: Any) -> Any:
        from assistant.corpus import IngestReport

        self.ingested += [(str(p), p.read_text()) for p in paths]
        return IngestReport(ingested=[str(p) for p in paths], chunks=len(paths))


class FakeService(Service):
    """Ready at once; `ask` drafts `tokens` (waiting on `gate` first, when set) and returns `ANSWER`."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(load_settings(**settings))
        self.state = "ready"
        self.session = FakeSession()
        self.tokens = ["Seven ", "guards ", "were ", "injured."]
        self.gate: threading.Event | None = None
        self.failure: BaseException | None = None
        self.questions: list[str] = []

    def ask(self, question: str, top_k: int | None, lenient: bool, cancel: threading.Event,
            on_token: Callable[[str], None] | None = None) -> dict[str, Any]:
        from assistant.serve import Cancelled

        self.questions.append(question)
        if self.gate is not None:
            self.gate.wait(10)
        if self.failure is not None:
            raise self.failure
        for token in self.tokens:
            if cancel.is_set():
                raise Cancelled()
            if on_token:
                on_token(token)
        return {**ANSWER, "question": question}

    def sources(self) -> list[dict[str, Any]]:
        self.require_ready()
        return [{"id": "a" * 24, "source": "/a.txt", "title": "A", "chunks": 1}]

    def article(self, article_id: str) -> dict[str, Any]:
        from assistant.serve.errors import not_found

        self.require_ready()
        if article_id != "a" * 24:
            raise not_found(f"no article with id {article_id}")
        return {"id": article_id, "source": "/a.txt", "title": "A", "chunks": 1, "metadata": {},
                "text": "Seven guards were injured."}


@pytest.fixture
def service() -> Iterator[FakeService]:
    from pydantic import SecretStr

    fake = FakeService(api_token=SecretStr(TOKEN), serve_queue=1, serve_max_body_bytes=4096)
    yield fake
    if fake.gate is not None:
        fake.gate.set()
    fake.admission.shutdown()


@pytest.fixture
def client(service: FakeService) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(create_app(service), raise_server_exceptions=False) as test_client:
        yield test_client


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
