"""Hybrid retrieval: dense vectors from Chroma fused with BM25 over a keyword index kept in sync with it."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.models import Embedding
from assistant.store import Store, StoredChunk
from assistant.text import STOPWORDS, words

RRF_K = 60


SCHEMA = "2"  # 2: each chunk's record (`records`) beside its text, so that retrieval need not ask Chroma for it


class KeywordIndex:
    """A SQLite FTS5 (BM25) index of the store's chunks, with each chunk's record, rebuilt incrementally when the
    store's revision moves.

    The Chroma store stays the one source of truth; this file is a cache beside it, so it works the
    same for the embedded store and for a Chroma server shared by several machines. Retrieval reads the chosen
    chunks' records here: ~0.7 ms against 3-6 ms for the same records from Chroma at 100,000 chunks.
    """

    LOCK_WAIT_SECONDS = 60.0  # for another process's sync to end (at 100,000 chunks a full build takes ~40 s)

    def __init__(self, folder: Path, store: Store) -> None:
        self.store = store
        folder.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(store.identity.encode()).hexdigest()[:16]
        self.path = folder / f"{key}.sqlite"
        self.db = sqlite3.connect(self.path, timeout=self.LOCK_WAIT_SECONDS, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        if self._schema() != SCHEMA:  # a new file, or one of an earlier version: made (again) under a write lock
            self._create()

    def _schema(self) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError:  # no such table: a new file
            return None
        return row[0] if row else None

    def _create(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self._schema() != SCHEMA:  # another process may have made it meanwhile
                for table in ("chunks", "records", "articles", "meta"):  # an earlier version's: built again
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                self.db.execute("CREATE TABLE articles (article_id TEXT PRIMARY KEY, sha256 TEXT)")
                self.db.execute(
                    "CREATE VIRTUAL TABLE chunks USING fts5("
                    "chunk_id UNINDEXED, article_id UNINDEXED, text, tokenize='porter unicode61')")
                # `row` is the chunk's rowid in `chunks`, which holds its text.
                self.db.execute(
                    "CREATE TABLE records (chunk_id TEXT PRIMARY KEY, row INTEGER NOT NULL, "
                    "article_id TEXT NOT NULL, source TEXT, title TEXT, sentences TEXT)")
                self.db.execute("CREATE INDEX records_by_article ON records(article_id)")
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    def _revision(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key='revision'").fetchone()
        return row[0] if row else None

    def sync(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Bring the index up to the store's revision; returns the number of articles (re)indexed.

        `progress(done, total)` counts the articles indexed, before each batch of them and at the end; it is not
        called when there is nothing to index."""
        revision = self.store.revision()  # None while articles are being changed: synced each time, never kept
        if revision is not None and revision == self._revision():
            return 0
        remote = self.store.article_shas()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            local = dict(self.db.execute("SELECT article_id, sha256 FROM articles").fetchall())
            stale = [a for a, sha in local.items() if remote.get(a) != sha]
            fresh = [a for a, sha in remote.items() if local.get(a) != sha]
            for article_id in stale:
                self.db.execute("DELETE FROM chunks WHERE rowid IN (SELECT row FROM records WHERE article_id=?)",
                                (article_id,))
                self.db.execute("DELETE FROM records WHERE article_id=?", (article_id,))
                self.db.execute("DELETE FROM articles WHERE article_id=?", (article_id,))
            last = self.db.execute("SELECT rowid FROM chunks ORDER BY rowid DESC LIMIT 1").fetchone()
            next_row = (last[0] if last else 0) + 1
            for start in range(0, len(fresh), 200):
                if progress is not None:
                    progress(start, len(fresh))
                batch = fresh[start : start + 200]
                chunks = self.store.get_chunks(article_ids=batch)
                numbered = list(enumerate(chunks, start=next_row))
                next_row += len(chunks)
                self.db.executemany("INSERT INTO chunks(rowid, chunk_id, article_id, text) VALUES (?,?,?,?)",
                                    [(row, c.chunk_id, c.article_id, c.text) for row, c in numbered])
                self.db.executemany("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?)",
                                    [(c.chunk_id, row, c.article_id, c.source, c.title, json.dumps(c.sentences))
                                     for row, c in numbered])
                self.db.executemany("INSERT OR REPLACE INTO articles VALUES (?,?)", [(a, remote[a]) for a in batch])
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('revision', ?)", (revision or "",))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        if progress is not None and fresh:
            progress(len(fresh), len(fresh))
        return len(fresh)

    def chunks(self, chunk_ids: list[str]) -> list[StoredChunk]:
        """The records of those of `chunk_ids` the index holds, in that order (as of the last `sync`)."""
        marks = ",".join("?" * len(chunk_ids))
        found = {
            row[0]: StoredChunk(chunk_id=row[0], article_id=row[1], source=row[2], title=row[3], text=row[4],
                                sentences=[(int(a), int(b)) for a, b in json.loads(row[5])])
            for row in self.db.execute(
                "SELECT r.chunk_id, r.article_id, r.source, r.title, c.text, r.sentences FROM records r "
                f"JOIN chunks c ON c.rowid = r.row WHERE r.chunk_id IN ({marks})", chunk_ids)
        }
        return [found[c] for c in chunk_ids if c in found]

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Chunk ids ranked by BM25 for the query's content words."""
        terms = [w for w in words(query) if w not in STOPWORDS and re.fullmatch(r"[a-z0-9]+", w)]
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))
        rows = self.db.execute(
            "SELECT chunk_id, bm25(chunks) FROM chunks WHERE chunks MATCH ? ORDER BY bm25(chunks) LIMIT ?",
            (match, k),
        ).fetchall()
        return [(chunk_id, -score) for chunk_id, score in rows]


def _article_diverse(ranked: list[str], k: int) -> list[str]:
    """The best chunk of each article first (in rank order), then the rest by rank: several reports of one
    event all get a say before any single article gets a second chunk."""
    firsts: dict[str, str] = {}
    for chunk_id in ranked:
        firsts.setdefault(chunk_id.rsplit(":", 1)[0], chunk_id)
    first_ids = set(firsts.values())
    leaders = [c for c in ranked if c in first_ids][:k]
    chosen_leaders = set(leaders)
    rest = [c for c in ranked if c not in chosen_leaders]
    chosen = set(leaders + rest[: k - len(leaders)])
    return [c for c in ranked if c in chosen]


@lru_cache(maxsize=1)
def _helper_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="keyword-search")


class HybridRetriever:
    """Dense (Chroma) and keyword (BM25) results fused by reciprocal rank.

    `assistant.llamaindex_adapters.as_retriever` makes it a LlamaIndex retriever.
    """

    def __init__(self, store: Store, embed_model: Embedding, keyword_index: KeywordIndex, top_k: int = 6,
                 candidates: int = 30) -> None:
        self.store = store
        self.embed_model = embed_model
        self.keyword_index = keyword_index
        self.top_k = top_k
        self.candidates = candidates
        # Told `(done, total)` while a question's keyword-index sync indexes articles (changed elsewhere: an
        # interrupted ingest, another machine's through a Chroma server, an index of an earlier version).
        self.on_indexing: Callable[[int, int], None] | None = None

    def retrieve_chunks(self, query: str, top_k: int | None = None) -> list[StoredChunk]:
        """The top chunks for `query`, best first; `score` is the fused reciprocal-rank score."""
        k = top_k or self.top_k
        pool = max(self.candidates, 3 * k)
        # The keyword index's check and BM25 run on a helper thread while the query is embedded and Chroma
        # searched (all of them release the GIL).
        keyword_search = _helper_threads().submit(self._keyword_search, query, pool)
        dense = self.store.nearest(self.embed_model.get_query_embedding(query), pool)
        keyword = keyword_search.result()
        scores: dict[str, float] = {}
        for ranked in (dense, keyword):
            for rank, (chunk_id, _) in enumerate(ranked):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = _article_diverse(sorted(scores, key=lambda c: -scores[c]), k)
        # The chosen chunks' records from the keyword index (just synced); any it lacks from the store.
        records = {c.chunk_id: c for c in self.keyword_index.chunks(best)}
        missing = [c for c in best if c not in records]
        if missing:
            records.update((c.chunk_id, c) for c in self.store.get_chunks(chunk_ids=missing))
        return [StoredChunk(**{**records[c].__dict__, "score": scores[c]}) for c in best if c in records]

    def _keyword_search(self, query: str, k: int) -> list[tuple[str, float]]:
        self.keyword_index.sync(self.on_indexing)
        return self.keyword_index.search(query, k)


def build_retriever(store: Store, embed_model: Embedding, index_folder: Path, top_k: int,
                    **kwargs: Any) -> HybridRetriever:
    """The project's retriever over `store`."""
    return HybridRetriever(store, embed_model, KeywordIndex(index_folder, store), top_k=top_k, **kwargs)
