"""The real backend (`SessionBackend`): what it readies when the chat opens, and the local model it loads before
the first question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.answer import KEYWORD_INDEX_STEP
from assistant.chat.backend import SessionBackend


def test_the_chat_readies_the_keyword_and_vector_indexes_when_it_opens(seeded_session: Any, tmp_path: Path) -> None:
    """Articles ingested since the keyword index was last brought up to date (by another machine, an interrupted
    run, an earlier version) are indexed while the chat opens, under its progress bar, not in the first answer;
    Chroma's vector index is loaded then too (0.4-0.7 s at a process's first search at 100,000 chunks)."""
    from assistant.corpus import KeywordIndex

    index = KeywordIndex(tmp_path / "keyword", seeded_session.store)
    seeded_session.retriever.keyword_index = index
    heard: list[tuple[int, int, str]] = []
    searches: list[int] = []
    nearest = seeded_session.store.nearest
    seeded_session.store.nearest = lambda vector, k: searches.append(k) or nearest(vector, k)
    SessionBackend(seeded_session.settings, session=seeded_session).open(
        lambda text: None, lambda done, total, name: heard.append((done, total, name)))
    assert heard == [(0, 5, KEYWORD_INDEX_STEP), (5, 5, KEYWORD_INDEX_STEP)]
    assert index.sync() == 0
    assert searches == [1]  # Chroma's vector index read into memory before the first question (`Session.warm_up`)


@pytest.mark.slow
def test_the_chat_loads_a_local_model_and_its_prompt_start_before_the_first_question(seeded_session: Any) -> None:
    backend = SessionBackend(seeded_session.settings, session=seeded_session)
    engine = backend.engine(None)
    llama = engine.llm._llama  # type: ignore[attr-defined]
    assert llama is not None and llama.n_tokens > 50  # loaded, and the system message evaluated
    assert backend.engine(None) is engine
