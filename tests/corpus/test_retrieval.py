"""Hybrid retrieval: dense ranking fused with the keyword index's, records read from the index, which ingest keeps in
sync."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.corpus import chunk_article, parse_article
from assistant.corpus.store import open_store
from assistant.runtime import count_minilm_tokens
from tests.corpus.helpers import ARTICLES, vectors


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


def test_ask_tells_of_keyword_indexing_only_when_it_makes_the_answer_wait(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import INDEXING_NOTICE_ARTICLES, _indexing_notice

    _indexing_notice(0, INDEXING_NOTICE_ARTICLES - 1)  # a moved data folder's 5 seeds: a few milliseconds
    _indexing_notice(0, 12_000)
    _indexing_notice(200, 12_000)
    assert capsys.readouterr().err.splitlines() == ["Updating the keyword index: 12,000 articles to index first."]


def test_ingest_leaves_the_keyword_index_up_to_date_and_ask_says_when_it_must_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ingest` indexes its articles for keyword search itself, so the next question pays nothing for it; an `ask`
    that must index many (here: the index file lost) says so on stderr, and its JSON on stdout stays clean."""
    from assistant.cli import INDEXING_NOTICE_ARTICLES
    from assistant.corpus.keyword_index import KeywordIndex
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


def test_questions_about_this_week_leave_out_articles_published_long_before_the_newest(isolated_home: Path) -> None:
    """The store knows each article's publication day and its newest one (re-read when an article is written);
    `not_before` leaves out older articles' chunks, and keeps those of articles without a date."""
    import datetime as dt

    from assistant.corpus.retrieval import build_retriever

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    texts = {"/news/old.txt": "Rates rise\n2019-03-04\n\nThe central bank raised rates by half a point.",
             "/news/new.txt": "Rates rise again\nJuly 5, 2022\n\nThe central bank raised rates by a full point.",
             "/news/undated.txt": "Rates\n\nThe central bank may raise rates, analysts said."}
    items = []
    for seed, (source, text) in enumerate(texts.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 64)
        items.append((article, chunks, vectors(len(chunks), seed)))
    store.write_articles(items[:1])
    assert store.newest_date() == dt.date(2019, 3, 4)
    store.write_articles(items[1:])
    assert store.newest_date() == dt.date(2022, 7, 5)  # a new revision: read again
    ids = {a.source: a.article_id for a, _, _ in items}
    assert store.article_dates(ids.values()) == {ids["/news/old.txt"]: dt.date(2019, 3, 4),
                                                 ids["/news/new.txt"]: dt.date(2022, 7, 5)}

    class Fixed:
        def get_query_embedding(self, text: str) -> list[float]:
            return vectors(1, 99)[0]

    retriever = build_retriever(store, Fixed(), settings.keyword_index_path, top_k=3)  # type: ignore[arg-type]
    assert retriever.newest_date() == dt.date(2022, 7, 5)
    every = {c.source for c in retriever.retrieve_chunks("central bank rates", 3)}
    assert every == set(texts)
    recent = {c.source for c in retriever.retrieve_chunks("central bank rates", 3, not_before=dt.date(2022, 6, 4))}
    assert recent == {"/news/new.txt", "/news/undated.txt"}


def test_the_best_chunks_neighbours_are_the_chunks_before_and_after_them_in_their_article(
        isolated_home: Path) -> None:
    """`neighbours` gives, for each of the best `around` chunks, its article's chunk before and after it, once
    each, leaving out those already retrieved and those beyond the article's ends."""
    from assistant.corpus.retrieval import build_retriever

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    article = parse_article("/news/long.txt", "Long report\n\n" + " ".join(
        f"Paragraph {n} of the report says something about rates and the central bank." for n in range(12)))
    chunks = chunk_article(article, count_minilm_tokens, 32)
    assert len(chunks) >= 5
    store.write_articles([(article, chunks, vectors(len(chunks), 1))])

    class Fixed:
        def get_query_embedding(self, text: str) -> list[float]:
            return vectors(1, 99)[0]

    retriever = build_retriever(store, Fixed(), settings.keyword_index_path, top_k=3)  # type: ignore[arg-type]
    retriever.keyword_index.sync()
    by_id = {c.chunk_id: c for c in store.get_chunks([c.chunk_id for c in chunks])}
    ids = [c.chunk_id for c in chunks]
    best = [by_id[ids[2]], by_id[ids[0]], by_id[ids[3]]]
    around = retriever.neighbours(best, around=2)
    assert [c.chunk_id for c in around] == [ids[1]]  # 2's are 1 and 3 (retrieved); 0 has no chunk before it
    assert around[0].text == chunks[1].text(article.text)
    assert [c.chunk_id for c in retriever.neighbours([by_id[ids[-2]]])] == [ids[-3], ids[-1]]
