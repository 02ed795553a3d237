"""The keyword index's BM25, computed from its own posting lists: the same terms, scores and ranking as SQLite FTS5's
`bm25()` over the same chunks (what the index used before), through adds, changes, removals and segment merges."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.corpus import article_id_for, chunk_article, keyword_index, parse_article
from assistant.corpus.keyword_index import _POSTING, KeywordIndex, _Tokenizer
from assistant.corpus.store import Store, open_store
from assistant.runtime import count_minilm_tokens
from assistant.text import STOPWORDS, words
from tests.conftest import SEEDS
from tests.corpus.helpers import fill

# Beyond ASCII: diacritics (precomposed and combining), curly quotes and dashes, other scripts, symbols, digits in
# other scripts, a soft hyphen, a zero-width space, letters whose lower case is ASCII (Kelvin sign, dotted I).
EXOTIC = (
    "Zürich’s café — “naïve” reports: Crème brûlée in São Paulo, e\u0301lan, Ωmega 東京 ２０２０ ½ €5 "
    "co\u00adoperate zero\u200bwidth \u212aelvin \u0130stanbul foo_bar don’t Al-Kadhimi's 7,000.5 guards’ injuries"
)
TRICKY = [
    "Seven guards were injured; the prime minister’s residence — in Baghdad’s Green Zone — was hit.",
    EXOTIC,
    "Plain ASCII: it's 2021, the U.S. and U.K. agreed (again) on rates_of_change & co-operation!!",
    "",
    "   ",
    "Ünïcödé only",
]
QUESTIONS = [
    "How many guards were injured?",
    "Who was the prime minister of Iraq?",
    "When was the drone attack on the residence?",
    "guard guards guarded injured injuries attack attacks",  # several words with one stem count once each
    "Zurich cafe naive creme brulee Sao Paulo",
    "What did the Iraqi officials say about Kadhimi?",
    "xyzzy plugh",
]


def _fts5_terms(texts: list[str]) -> list[list[str]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    db.executemany("INSERT INTO t(rowid, text) VALUES (?, ?)", enumerate(texts))
    terms: list[list[str]] = [[] for _ in texts]
    for term, doc in db.execute("SELECT term, doc FROM v ORDER BY doc, offset"):
        terms[doc].append(term)
    return terms


def test_the_tokenizer_makes_the_terms_fts5_makes() -> None:
    """Each text's terms (with their counts) are those FTS5's `porter unicode61` indexes, on the plain path (ASCII
    words and punctuation beyond ASCII) and on SQLite's own (other characters)."""
    tokenizer = _Tokenizer()
    term_ids, text_ids, names = tokenizer.tokens(TRICKY)
    got: list[Counter[str]] = [Counter() for _ in TRICKY]
    for term, text in zip(term_ids.tolist(), text_ids.tolist(), strict=True):
        got[text][names[term]] += 1
    assert got == [Counter(terms) for terms in _fts5_terms(TRICKY)]
    assert got[1]["zurich"] == 1 and got[1]["elan"] == 1  # FTS5's folding (a combining accent too), not ours
    postings, lengths = tokenizer.postings([10, 11, 12, 13, 14, 15], TRICKY)
    assert lengths.tolist() == [len(terms) for terms in _fts5_terms(TRICKY)]
    guard = postings["guard"]
    assert guard["row"].tolist() == [10, 11] and guard["count"].tolist() == [1, 1]
    assert guard["length"].tolist() == lengths[:2].tolist()


def _store_with(articles: dict[str, str]) -> Store:
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    _write(store, articles)
    return store


def _write(store: Store, articles: dict[str, str]) -> None:
    items = []
    for seed, (source, text) in enumerate(articles.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 64)
        vectors = np.random.default_rng(seed).standard_normal((len(chunks), 384)).astype(np.float32)
        items.append((article, chunks, [list(map(float, v / np.linalg.norm(v))) for v in vectors]))
    store.write_articles(items)


def _seed_articles() -> dict[str, str]:
    articles = {str(path): path.read_text() for path in sorted(SEEDS.glob("*.txt"))}
    articles["/news/exotic.txt"] = f"Notes from abroad\n\n{EXOTIC}. Guards were injured, guards said."
    return articles


def _fts5_search(store: Store, query: str, k: int) -> list[tuple[str, float]]:
    """What the index returned while it was an FTS5 table (schema 2): `bm25()` over the store's chunks."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE chunks USING fts5(chunk_id UNINDEXED, text, tokenize='porter unicode61')")
    db.executemany("INSERT INTO chunks VALUES (?, ?)", [(c.chunk_id, c.text) for c in store.get_chunks()])
    query_words = [w for w in words(query) if w not in STOPWORDS and w.isascii() and w.isalnum()]
    if not query_words:
        return []
    match = " OR ".join(f'"{w}"' for w in dict.fromkeys(query_words))
    rows = db.execute("SELECT chunk_id, bm25(chunks) FROM chunks WHERE chunks MATCH ? ORDER BY bm25(chunks), rowid "
                      "LIMIT ?", (match, k)).fetchall()
    return [(chunk_id, -score) for chunk_id, score in rows]


def _assert_same_as_fts5(index: KeywordIndex, store: Store) -> None:
    for question in QUESTIONS:  # every match (chunks of equal scores may come in either order)
        ours, theirs = index.search(question, 1000), _fts5_search(store, question, 1000)
        assert sorted((round(s, 9), c) for c, s in ours) == sorted((round(s, 9), c) for c, s in theirs), question
        assert [s for _, s in ours] == sorted((s for _, s in ours), reverse=True)
        assert np.allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-12, atol=0), question
    rows = {row for (row,) in index.db.execute("SELECT row FROM records")}
    posted = [r for (data,) in index.db.execute("SELECT data FROM postings")
              for r in np.frombuffer(data, dtype=_POSTING)["row"].tolist()]
    assert set(posted) == rows
    assert index.db.execute("SELECT sum(chunks) FROM segments").fetchone()[0] == len(rows)


def test_search_ranks_and_scores_as_fts5_bm25(isolated_home: Path) -> None:
    """The seeds (and an article of characters beyond ASCII): for each question, the same chunks in the same order
    with the same scores as FTS5's `bm25()`; the questions find what they ask about."""
    store = _store_with(_seed_articles())
    index = KeywordIndex(load_settings().keyword_index_path, store)
    assert index.sync() == 6
    _assert_same_as_fts5(index, store)
    assert index.search("xyzzy plugh", 5) == [] and index.search("the and of", 5) == []
    assert index.search("guards", 0) == []
    assert "guards" in index.chunks([index.search("How many guards were injured?", 1)[0][0]])[0].text
    assert index.chunks([index.search("Zurich cafe", 1)[0][0]])[0].article_id == article_id_for(
        "/news/exotic.txt")


def test_changed_and_removed_articles_leave_the_postings(isolated_home: Path) -> None:
    """After an article is changed and another removed, the next sync leaves no posting of their old chunks, and
    search still scores as FTS5 over the store's current chunks (document counts and lengths included)."""
    articles = _seed_articles()
    store = _store_with(articles)
    index = KeywordIndex(load_settings().keyword_index_path, store)
    index.sync()
    sources = sorted(articles)
    store.remove_articles([article_id_for(sources[0])])
    _write(store, {sources[1]: articles[sources[1]].replace("guards", "bodyguards")})
    assert index.sync() == 1  # the changed one; the removed one is dropped
    _assert_same_as_fts5(index, store)
    assert index.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 5


def test_segments_merge_as_they_pile_up_and_search_is_unchanged(isolated_home: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """One segment per sync batch; `MERGE_FANOUT` segments of a size class become one, so a term's postings stay a
    few blobs; the scores stay FTS5's."""
    monkeypatch.setattr(keyword_index, "MERGE_FANOUT", 2)
    articles = _seed_articles()
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    index = KeywordIndex(load_settings().keyword_index_path, store)
    for source, text in articles.items():  # one article per sync: six segments before merging
        _write(store, {source: text})
        assert index.sync() == 1
    segments = index.db.execute("SELECT count(*) FROM segments").fetchone()[0]
    assert 1 <= segments < 6
    blobs = index.db.execute("SELECT count(*) FROM postings WHERE term='guard'").fetchone()[0]
    assert blobs <= segments
    _assert_same_as_fts5(index, store)


def test_an_fts5_index_of_the_previous_version_is_built_again(isolated_home: Path) -> None:
    """A keyword index written by the previous version (schema 2: an FTS5 table of texts, records beside it) is
    dropped and rebuilt on open (its revision matched the store's: without the schema mark it would never be
    filled), and then searches as FTS5 did. A current file is opened without a write."""
    store = _store_with(_seed_articles())
    folder = load_settings().keyword_index_path
    index = KeywordIndex(folder, store)
    path = index.path
    index.close()
    path.unlink()
    db = sqlite3.connect(path, isolation_level=None)  # as schema 2 made it, with the store's revision recorded
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
        "CREATE TABLE articles (article_id TEXT PRIMARY KEY, sha256 TEXT);"
        "CREATE VIRTUAL TABLE chunks USING fts5(chunk_id UNINDEXED, article_id UNINDEXED, text,"
        " tokenize='porter unicode61');"
        "CREATE TABLE records (chunk_id TEXT PRIMARY KEY, row INTEGER NOT NULL, article_id TEXT NOT NULL,"
        " source TEXT, title TEXT, sentences TEXT);"
        "INSERT INTO meta VALUES ('schema', '2');")
    db.execute("INSERT INTO meta VALUES ('revision', ?)", (store.revision(),))
    db.close()
    index = KeywordIndex(folder, store)
    assert index.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (keyword_index.SCHEMA,)
    assert index.search("guards", 3) == [] and index.sync() == 6
    _assert_same_as_fts5(index, store)
    index.close()
    index = KeywordIndex(folder, store)  # current: opened without writing (nor a write lock)
    assert index.db.total_changes == 0 and index.sync() == 0


def test_sync_reports_the_articles_it_indexes(isolated_home: Path) -> None:
    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    heard: list[tuple[int, int]] = []
    assert index.sync(lambda done, total: heard.append((done, total))) == 3
    assert heard == [(0, 3), (3, 3)]
    assert index.sync(lambda done, total: heard.append((done, total))) == 0 and len(heard) == 2  # nothing to do
