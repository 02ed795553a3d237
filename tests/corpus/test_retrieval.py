"""Hybrid retrieval: dense ranking, records read from the keyword index, and keeping the index in sync."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.corpus.ingest import chunk_article, parse_article
from assistant.corpus.store import open_store
from assistant.runtime.models import count_minilm_tokens
from tests.corpus.helpers import ARTICLES, fill, vectors

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_index.core", "chromadb", "onnxruntime", "llama_cpp")


def _last_json_line(code: str, home: Path | None = None) -> Any:
    """Run `code` in a fresh interpreter (its data under `home`, if given), which must exit 0; the last line it
    printed, parsed as JSON."""
    env = {**os.environ, "ASSISTANT_HOME": str(home)} if home is not None else None
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])



def test_dense_search_ranks_ids_by_cosine_and_retrieval_reads_the_chosen_records_from_the_keyword_index(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`Store.nearest` asks Chroma for ids and distances only; the retriever then reads the records of the chunks
    it keeps from the keyword index (synced with the store), not from Chroma, and returns them in fused order,
    equal to the store's records; a record the index lacks is read from the store."""
    from assistant.corpus.retrieval import build_retriever

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    items = []
    for seed, (source, text) in enumerate(ARTICLES.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        items.append((article, chunks, vectors(len(chunks), seed)))
    store.write_articles(items)
    query = vectors(1, 99)[0]
    pairs = [(c.chunk_id, float(np.dot(query, v))) for _, cs, vs in items for c, v in zip(cs, vs, strict=True)]
    by_cosine = sorted(pairs, key=lambda hit: -hit[1])
    nearest = store.nearest(query, 4)
    assert [i for i, _ in nearest] == [i for i, _ in by_cosine[:4]]
    assert [round(s, 4) for _, s in nearest] == [round(s, 4) for _, s in by_cosine[:4]]

    class Fixed:
        def get_query_embedding(self, text: str) -> list[float]:
            return query

    reads: list[list[str] | None] = []
    get_chunks = store.get_chunks
    monkeypatch.setattr(store, "get_chunks", lambda chunk_ids=None, article_ids=None: (
        reads.append(chunk_ids), get_chunks(chunk_ids, article_ids))[1])
    retriever = build_retriever(store, Fixed(), settings.keyword_index_path, top_k=3)  # type: ignore[arg-type]
    retriever.keyword_index.sync()
    reads.clear()
    found = retriever.retrieve_chunks("central bank rates", 3)
    assert reads == [] and len(found) == 3
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    texts = {c.chunk_id: c.text(a.text) for a, cs, _ in items for c in cs}
    assert all(c.text == texts[c.chunk_id] for c in found)
    assert any("central bank" in c.text for c in found)  # the keyword side counts
    stored = get_chunks([c.chunk_id for c in found])
    assert [{**c.__dict__, "score": 0.0} for c in found] == [c.__dict__ for c in stored]

    held = retriever.keyword_index.chunks  # an index behind the store (another process writing): a record missing
    monkeypatch.setattr(retriever.keyword_index, "chunks",
                        lambda ids: [c for c in held(ids) if c.chunk_id != found[1].chunk_id])
    again = retriever.retrieve_chunks("central bank rates", 3)
    assert reads == [[found[1].chunk_id]] and again == found


def test_a_keyword_index_of_the_earlier_schema_is_built_again(isolated_home: Path) -> None:
    """An index file written before the records were kept in it (no schema mark) is dropped and rebuilt on open:
    its revision matched the store's, so without the mark the empty records would never be filled. A current
    file is opened without a write."""
    from assistant.corpus.retrieval import SCHEMA, KeywordIndex

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    index.sync()
    ids = [c.chunk_id for c in store.get_chunks()]
    index.db.executescript("DROP TABLE records; DELETE FROM meta WHERE key='schema';")  # as schema 1 left it
    index.close()
    index = KeywordIndex(settings.keyword_index_path, store)
    assert index.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (SCHEMA,)
    assert index.chunks(ids) == [] and index.sync() > 0
    assert index.chunks(ids) == store.get_chunks(chunk_ids=ids) and index.sync() == 0
    index.close()
    index = KeywordIndex(settings.keyword_index_path, store)  # current: opened without writing (nor a write lock)
    assert index.db.total_changes == 0 and index.sync() == 0
    assert [h for h, _ in index.search("guards", 5)] == [c.chunk_id for c in store.get_chunks() if "guards" in c.text]


def test_keyword_index_sync_reports_the_articles_it_indexes(isolated_home: Path) -> None:
    from assistant.corpus.retrieval import KeywordIndex

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    heard: list[tuple[int, int]] = []
    assert index.sync(lambda done, total: heard.append((done, total))) == 3
    assert heard == [(0, 3), (3, 3)]
    assert index.sync(lambda done, total: heard.append((done, total))) == 0 and len(heard) == 2  # nothing to do


def test_ingest_leaves_the_keyword_index_up_to_date_and_ask_says_when_it_must_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ingest` indexes its articles for keyword search itself, so the next question pays nothing for it; an `ask`
    that must index many (here: the index file lost) says so on stderr, and its JSON on stdout stays clean."""
    from assistant.cli import INDEXING_NOTICE_ARTICLES
    from assistant.corpus.retrieval import KeywordIndex
    from tests.cli_helpers import QUESTION, run_cli
    from tests.conftest import SEEDS

    home = tmp_path / "home"
    assert run_cli("ingest", str(SEEDS), "--json", home=home).returncode == 0
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    index = KeywordIndex(settings.keyword_index_path, store)
    assert index.sync() == 0  # 5 before `ingest` did it
    index.close()
    quiet = run_cli("ask", "--json", QUESTION, home=home)
    assert quiet.returncode == 0 and "keyword index" not in quiet.stderr

    items = []  # more articles, written as another machine's ingest would leave them: not in this index
    for number in range(INDEXING_NOTICE_ARTICLES):
        article = parse_article(f"/elsewhere/{number}.txt", f"Report {number}\n\nCouncil meeting {number} ended late.")
        chunks = chunk_article(article, count_minilm_tokens, 128)
        items.append((article, chunks, vectors(len(chunks), number)))
    store.write_articles(items)
    first = run_cli("ask", "--json", QUESTION, home=home)
    assert first.returncode == 0, first.stderr
    assert f"Updating the keyword index: {INDEXING_NOTICE_ARTICLES:,} articles to index first." in (
        first.stderr.splitlines())
    assert json.loads(first.stdout)["citations"]
    second = run_cli("ask", "--json", QUESTION, home=home)
    assert second.returncode == 0 and "keyword index" not in second.stderr
    assert json.loads(second.stdout)["answer"] == json.loads(first.stdout)["answer"]
