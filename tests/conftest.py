"""Shared fixtures: all state goes to a temporary folder, and no test sees the developer's keys or servers."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.resources import bundled_seeds

ROOT = Path(__file__).resolve().parent.parent
SEEDS = bundled_seeds()
_SCRUBBED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "CHROMA_URL", "ASSISTANT_MODEL",
             "ASSISTANT_EMBEDDING", "ASSISTANT_COLLECTION", "ASSISTANT_TOP_K", "ASSISTANT_LENIENT",
             "ASSISTANT_EMBEDDED_WEIGHTS", "ASSISTANT_MIN_CONFIDENCE")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ASSISTANT_HOME at a fresh folder, run from an empty folder (no `.env`), scrub provider variables."""
    home = tmp_path / "home"
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in _SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the seeds ingested once for the whole test session."""
    home = tmp_path_factory.mktemp("seeded-home")
    previous = os.environ.get("ASSISTANT_HOME")
    os.environ["ASSISTANT_HOME"] = str(home)
    try:
        from assistant.answer import open_session
        from assistant.config import load_settings
        from assistant.corpus import ingest_paths

        session = open_session(load_settings())
        ingest_paths([SEEDS], session.store, session.embed_model, session.settings.chunk_tokens)
        # The ONNX export is made once per data folder, by the first process that loads the model there; the
        # model may already be loaded in this process from another folder, so make this folder's own.
        from assistant.runtime import load_onnx_minilm, minilm_path

        load_onnx_minilm(minilm_path())
    finally:
        if previous is None:
            os.environ.pop("ASSISTANT_HOME", None)
        else:
            os.environ["ASSISTANT_HOME"] = previous
    return home


@pytest.fixture
def seeded_session(seeded_home: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An opened session on the seeded store."""
    monkeypatch.setenv("ASSISTANT_HOME", str(seeded_home))
    from assistant.answer import open_session
    from assistant.config import load_settings

    return open_session(load_settings())


@pytest.fixture(scope="session")
def embedded_engine(seeded_home: Path) -> Iterator[object]:
    """The real engine on the seeded store with the embedded SmolLM2 model (loaded once)."""
    previous = os.environ.get("ASSISTANT_HOME")
    os.environ["ASSISTANT_HOME"] = str(seeded_home)
    try:
        from assistant.answer import open_session
        from assistant.config import load_settings

        settings = load_settings()
        yield open_session(settings).engine()
    finally:
        if previous is None:
            os.environ.pop("ASSISTANT_HOME", None)
        else:
            os.environ["ASSISTANT_HOME"] = previous


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
