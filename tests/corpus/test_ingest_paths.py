"""Ingest fast paths: orphans found by id, unchanged files not parsed, a locked keyword index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.corpus.ingest import chunk_article, parse_article
from assistant.corpus.store import open_store
from assistant.runtime import count_minilm_tokens
from tests.corpus.helpers import fill, vectors


def test_orphan_chunks_are_found_by_their_ids_and_other_ids_by_their_metadata(isolated_home: Path) -> None:
    """Orphans (chunks of no recorded article) go, whatever their id; recorded articles' chunks stay; the
    chunks' metadata is read only for ids that do not name their article (none that this project writes)."""
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    fill(store, batched=True)
    recorded = store.chunk_count()
    orphan = parse_article("/news/orphan.txt", "Orphan story\n\nA write was killed after its chunks. Nothing else.")
    chunks = chunk_article(orphan, count_minilm_tokens, 16)
    steps = store.write_steps([(orphan, chunks, vectors(len(chunks), 9))], slice_chunks=None)
    while store.chunk_count() == recorded:  # up to its chunks, not its text nor its record
        next(steps)
    known = store.get_chunks()[0]
    foreign = {"document_id": known.article_id, "source": known.source}  # another writer's ids: by metadata
    store.chunks.add(ids=["kept-by-metadata", "gone-by-metadata"], embeddings=vectors(2, 3),
                     metadatas=[foreign, {"document_id": "never-recorded"}])
    reads: list[list[str]] = []
    get = store.chunks.get

    def spy(*args: Any, **kwargs: Any) -> Any:
        reads.append(list(kwargs.get("include", [])))
        return get(*args, **kwargs)

    store.chunks.get = spy  # type: ignore[method-assign]
    assert store.remove_orphan_chunks() == 1 + len(chunks)
    assert reads == [[], ["metadatas"]]  # ids of all, then metadata of the two unnamed ones
    del store.chunks.get
    assert store.chunk_count() == recorded + 1
    assert "kept-by-metadata" in store.chunks.get(include=[])["ids"]
    reads.clear()
    store.chunks.get = spy  # type: ignore[method-assign]
    store.chunks.delete(ids=["kept-by-metadata"])
    assert store.remove_orphan_chunks() == 0 and reads == [[]]  # our ids only: no metadata read


def test_an_unchanged_file_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged files are known by their text's SHA-256 before parsing (10,000 unchanged articles: 17 s -> 3.5 s
    for a no-op ingest); a changed one is parsed and replaced."""
    import shutil

    from assistant.answer.engine import open_session
    from assistant.corpus import ingest
    from tests.conftest import SEEDS

    folder = tmp_path / "news"
    shutil.copytree(SEEDS, folder)
    session = open_session(load_settings())
    first = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    parsed: list[str] = []
    parse = ingest.parse_article
    monkeypatch.setattr(ingest, "parse_article", lambda source, text: parsed.append(source) or parse(source, text))
    again = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    assert len(again.unchanged) == len(first.ingested) == 5 and parsed == []
    changed = sorted(folder.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA late correction was added.\n", encoding="utf-8")
    third = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    assert third.ingested == [str(changed.resolve())] and parsed == [str(changed.resolve())]
    assert len(session.store.list_articles()) == 5


def test_ask_tells_of_keyword_indexing_only_when_it_makes_the_answer_wait(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import INDEXING_NOTICE_ARTICLES, _indexing_notice

    _indexing_notice(0, INDEXING_NOTICE_ARTICLES - 1)  # a moved data folder's 5 seeds: a few milliseconds
    _indexing_notice(0, 12_000)
    _indexing_notice(200, 12_000)
    assert capsys.readouterr().err.splitlines() == ["Updating the keyword index: 12,000 articles to index first."]


def test_an_ingest_whose_keyword_index_is_locked_still_succeeds(isolated_home: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The articles are stored when another process keeps the keyword index locked past the wait: a warning, and
    the next question indexes them."""
    import sqlite3

    from assistant.answer.engine import open_session
    from assistant.corpus.keyword_index import KeywordIndex
    from tests.conftest import SEEDS

    monkeypatch.setattr(KeywordIndex, "LOCK_WAIT_SECONDS", 0.2)
    session = open_session(load_settings())
    other = sqlite3.connect(session.retriever.keyword_index.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's sync, writing
    warnings: list[str] = []
    report = session.ingest([SEEDS], warn=warnings.append, progress=lambda done, total, name: None)
    other.execute("ROLLBACK")
    assert len(report.ingested) == 5 and len(session.store.list_articles()) == 5
    assert len(warnings) == 1 and warnings[0].startswith("the keyword index was not brought up to date")
    assert session.retriever.retrieve_chunks("How many guards were injured?")  # the question indexed them
    assert session.index_keywords() == 0
