"""The store: batched writes equal single writes, readers during killed writes, article texts before records,
orphan chunks found by their ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import load_settings
from assistant.corpus import Article, chunk_article, parse_article
from assistant.corpus.store import Store, open_store
from assistant.runtime import count_minilm_tokens
from tests.corpus.helpers import ARTICLES, fill, vectors


def _snapshot(store: Store) -> tuple[object, object, object]:
    chunks = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    articles = store.articles.get(include=["documents", "metadatas", "embeddings"])
    texts = store.texts.get(include=["documents", "metadatas", "embeddings"])

    def rows(result: dict) -> list[tuple]:  # type: ignore[type-arg]
        out = []
        for i, d, m, e in zip(result["ids"], result["documents"], result["metadatas"], result["embeddings"],
                              strict=True):
            meta = {k: v for k, v in (m or {}).items() if k != "ingested_at"}
            out.append((i, d, json.dumps(meta, sort_keys=True), np.round(np.asarray(e), 6).tolist()))
        return sorted(out)

    return rows(chunks), rows(articles), rows(texts)


def test_batched_writes_store_exactly_what_single_writes_store(isolated_home: Path) -> None:
    settings = load_settings()
    single = open_store(settings.model_copy(update={"collection": "single"}), "all-MiniLM-L6-v2")
    batch = open_store(settings.model_copy(update={"collection": "batch"}), "all-MiniLM-L6-v2")
    fill(single, batched=False)
    fill(batch, batched=True)
    assert single.chunk_count() > len(ARTICLES)
    assert _snapshot(single) == _snapshot(batch)
    # Writing the same articles again replaces their chunks, batched or not.
    revision = batch.revision()
    fill(batch, batched=True)
    assert batch.revision() != revision
    assert _snapshot(single) == _snapshot(batch)
    assert batch.write_articles([]) is None


def test_a_reader_sees_every_change_of_a_killed_write_without_counting_articles(isolated_home: Path) -> None:
    """`Store.revision` is one metadata read: while article records are changed (or were, by a writer killed
    before it moved the revision) it is None and the keyword index syncs at each search; the next ingest moves
    it on. A replaced article (same count) is seen too, which the article count the revision used to carry
    could not show."""
    from assistant.corpus.keyword_index import KeywordIndex

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    index.sync()
    settled = store.revision()
    assert settled and index.sync() == 0
    assert not [h for h in index.search("hurricane", 5)]

    def killed_replacing(source: str, text: str) -> tuple[Article, list[str | None]]:
        """A writer replaces an article, and is killed after its record is in, before the revision moves."""
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        revisions = []
        for _ in store.write_steps([(article, chunks, vectors(len(chunks), 7))], {article.article_id}):
            revisions.append(store.revision())
            if store.articles.get(ids=[article.article_id])["metadatas"][0]["sha256"] == article.sha256:
                break
        return article, revisions

    b, revisions = killed_replacing("/news/b.txt", "Rates rise\n\nA hurricane closed the central bank on Thursday.")
    assert None in revisions and store.revision() is None
    assert store.articles.count() == len(ARTICLES)  # a replacement: the count alone would not show it
    assert index.sync() == 1
    assert [h for h, _ in index.search("hurricane", 5)] == [c.chunk_id for c in store.get_chunks(
        article_ids=[b.article_id])]
    killed_replacing("/news/c.txt", "Flood in Lima\n\nThe hurricane reached Lima on Monday.")
    assert index.sync() == 1  # still unsettled: checked again at the next search
    assert len(index.search("hurricane", 5)) == 2

    store.remove_orphan_chunks()  # what the next ingest does first: the killed writer's mark goes
    assert store.revision() not in (None, settled)
    assert index.sync() == 0 and index.sync() == 0  # settled again: one metadata read per search
    assert store.remove_articles([b.article_id]) == 1
    assert index.sync() == 0 and len(index.search("hurricane", 5)) == 1


def test_nearest_without_count(isolated_home: Path) -> None:
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    probe = vectors(1, 99)[0]
    assert store.nearest(probe, 5) == []  # empty collection
    fill(store, batched=True)
    total = store.chunk_count()
    found = store.nearest(probe, total + 20)  # more than there are
    assert len(found) == total
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    assert len(store.nearest(probe, 2)) == 2


def test_article_texts_are_written_before_records_and_orphans_go(isolated_home: Path) -> None:
    """Chunks and article texts carry no Chroma document (Chroma's full-text index of them was half the cost of
    a write); the article record still commits last, and an ingest stopped after the texts leaves nothing
    that lists, and nothing once orphans are removed."""
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    items = []
    for seed, (source, text) in enumerate(ARTICLES.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        items.append((article, chunks, vectors(len(chunks), seed)))
    steps = store.write_steps(items, slice_chunks=None)
    while not store.texts.count():  # up to the step that writes the texts
        next(steps)
    written = store.chunk_count()
    assert store.list_articles() == [] and written > 0
    assert store.remove_orphan_chunks() == written
    assert store.chunk_count() == 0 and store.texts.count() == 0
    store.write_articles(items)
    assert store.chunks.get(include=["documents"])["documents"] == [None] * store.chunk_count()
    assert store.articles.get(include=["documents"])["documents"] == [None] * len(items)
    for article, chunks, _ in items:
        assert store.article_text(article.article_id) == article.text
        assert [c.text for c in store.get_chunks(article_ids=[article.article_id])] == [
            chunk.text(article.text) for chunk in chunks]
    assert store.remove_articles([items[0][0].article_id]) == 1
    assert store.article_text(items[0][0].article_id) is None
    assert store.texts.count() == len(items) - 1


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
