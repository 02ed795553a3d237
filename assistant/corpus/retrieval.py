"""Hybrid retrieval: dense vectors from Chroma fused by reciprocal rank with BM25 from the keyword index kept in
sync with it (`keyword_index`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.corpus.keyword_index import KeywordIndex
from assistant.corpus.records import StoredChunk
from assistant.corpus.store import Store
from assistant.runtime import Embedding

RRF_K = 60
NEIGHBOURS_OF = 3  # the best chunks whose neighbours are read too (`HybridRetriever.neighbours`)


def _article_of(chunk_id: str) -> str:
    """The article id a chunk id names (`Chunk.chunk_id`: article id, ":", n)."""
    return chunk_id.rsplit(":", 1)[0]


def _article_diverse(ranked: list[str], k: int) -> list[str]:
    """The best chunk of each article first (in rank order), then the rest by rank: several reports of one
    event all get a say before any single article gets a second chunk."""
    firsts: dict[str, str] = {}
    for chunk_id in ranked:
        firsts.setdefault(_article_of(chunk_id), chunk_id)
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

    `assistant.evals.adapters.as_retriever` makes it a LlamaIndex retriever.
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

    def newest_date(self) -> dt.date | None:
        """The newest article's publication day in the store (`Store.newest_date`)."""
        return self.store.newest_date()

    def article_dates(self, article_ids: Iterable[str]) -> dict[str, dt.date]:
        """The publication day of each of these articles that has one (`Store.article_dates`)."""
        return self.store.article_dates(article_ids)

    def written_in_lower_case(self, words: Collection[str]) -> set[str]:
        """Those of `words` that the store's chunks write in lower case somewhere (`KeywordIndex`)."""
        return self.keyword_index.written_in_lower_case(words)

    def retrieve_chunks(self, query: str, top_k: int | None = None,
                        not_before: dt.date | None = None) -> list[StoredChunk]:
        """The top chunks for `query`, best first; `score` is the fused reciprocal-rank score. `not_before`: leave
        out the chunks of articles published before that day (articles without a date stay)."""
        k = top_k or self.top_k
        pool = max(self.candidates, 3 * k)
        # The keyword index's check and BM25 run on a helper thread while the query is embedded and Chroma
        # searched.
        keyword_search = _helper_threads().submit(self._keyword_search, query, pool)
        dense = self.store.nearest(self.embed_model.get_query_embedding(query), pool)
        keyword = keyword_search.result()
        scores: dict[str, float] = {}
        for ranked in (dense, keyword):
            for rank, (chunk_id, _) in enumerate(ranked):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        order = sorted(scores, key=lambda c: -scores[c])
        if not_before is not None:
            days = self.store.article_dates(_article_of(c) for c in order)
            order = [c for c in order if days.get(_article_of(c), not_before) >= not_before]
        best = _article_diverse(order, k)
        records = self._records(best)
        return [StoredChunk(**{**records[c].__dict__, "score": scores[c]}) for c in best if c in records]

    def neighbours(self, chunks: list[StoredChunk], around: int = NEIGHBOURS_OF) -> list[StoredChunk]:
        """The chunks just before and after each of the best `around` chunks, from the same article, that are not
        among `chunks`: the answer often stands a paragraph away from the passage that matches the question best
        ("Shmyhal provided the $750 billion figure" after "... sits at $750 billion"). LlamaIndex's
        `PrevNextNodePostprocessor` does this over a docstore, which this store does not keep; chunk ids are
        the article's id and the chunk's number, so the neighbours are two ids away."""
        have = {c.chunk_id for c in chunks}
        wanted: list[str] = []
        for chunk in chunks[:around]:
            n = int(chunk.chunk_id.rsplit(":", 1)[1])
            for m in (n - 1, n + 1):
                chunk_id = f"{chunk.article_id}:{m}"
                if m >= 0 and chunk_id not in have and chunk_id not in wanted:
                    wanted.append(chunk_id)
        records = self._records(wanted)
        return [records[c] for c in wanted if c in records]

    def _records(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        """The chunks' records from the keyword index (just synced); any it lacks from the store."""
        records = {c.chunk_id: c for c in self.keyword_index.chunks(chunk_ids)}
        missing = [c for c in chunk_ids if c not in records]
        if missing:
            records.update((c.chunk_id, c) for c in self.store.get_chunks(chunk_ids=missing))
        return records

    def _keyword_search(self, query: str, k: int) -> list[tuple[str, float]]:
        # A question never waits for another process writing the index (an ingest): it searches its last commit.
        self.keyword_index.sync(self.on_indexing, wait=False)
        return self.keyword_index.search(query, k)


def build_retriever(store: Store, embed_model: Embedding, index_folder: Path, top_k: int,
                    **kwargs: Any) -> HybridRetriever:
    """The project's retriever over `store`."""
    return HybridRetriever(store, embed_model, KeywordIndex(index_folder, store), top_k=top_k, **kwargs)
