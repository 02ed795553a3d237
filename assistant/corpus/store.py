"""The Chroma store: chunk vectors plus one record per article, embedded or on a Chroma server.

Layout, per collection name N:
- `N_chunks`: one record per chunk, in the format LlamaIndex's `ChromaVectorStore` reads, so that stock
  LlamaIndex engines can use the same store. The chunk's text and all its metadata (article id, source,
  title, the sentence offsets into the article's original text) are in the `_node_content` JSON; source,
  title and article id are also plain metadata, for filters. No Chroma document: Chroma indexes every
  document for full-text search (about half of the cost of a write), and our keyword search has its own.
- `N_texts`: each article's original text (metadata `text`; a placeholder 1-dimensional vector).
- `N_articles`: one record per article (source, title, sha256, chunk count), written last, so an
  article counts as stored only once its chunks and text are in. A `revision` in this collection's
  metadata changes after every write, and a `changing` mark is there while article records are being
  written or removed (left behind by a writer that was killed; the next ingest clears it).
Stores written by earlier versions keep texts as Chroma documents (chunk and article records); reading
handles both.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from assistant.config import Settings
from assistant.corpus.articles import PARSER_VERSION
from assistant.corpus.dates import as_day
from assistant.corpus.records import (
    CHUNK_ID,
    StoredArticle,
    StoredChunk,
    article_from_record,
    chunk_from_record,
    chunk_metadata,
    normalized_mean,
)
from assistant.errors import UserError
from assistant.locking import file_lock
from assistant.runtime import LOCAL_CLIENT, SERVER_CLIENT, import_chromadb

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from assistant.corpus.articles import Article, Chunk
    from assistant.corpus.records import Vectors


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def connect(settings: Settings) -> ClientAPI:
    """A Chroma client: a server when `chroma_url` is set, else the embedded store under the data folder."""
    chromadb = import_chromadb(*(SERVER_CLIENT if settings.chroma_url else LOCAL_CLIENT))
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        if not url.hostname:
            raise UserError(f"invalid CHROMA_URL {settings.chroma_url!r}: expected http://host:port")
        try:
            client = chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https",
                                         settings=_chroma_settings())
            client.heartbeat()
        except Exception as exc:  # chromadb raises assorted types for an unreachable server
            raise UserError(f"cannot reach the Chroma server at {settings.chroma_url} ({type(exc).__name__})") from None
        return client
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    # Chroma creates its tables when it first opens a folder; two processes doing that at once make one fail
    # ("table collections already exists"), so opening is one process at a time (a few ms when nobody waits).
    with file_lock(settings.home / "locks" / "chroma-open.lock"):
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=_chroma_settings())


class Store:
    """Articles and chunks in Chroma, with the embedding model's name guarded against mixing."""

    def __init__(self, client: ClientAPI, name: str, embedding_name: str) -> None:
        self.client = client
        self.name = name
        self.embedding_name = embedding_name
        self._chunks: Collection | None = None
        self._articles: Collection | None = None
        self._texts: Collection | None = None
        self._newest: tuple[str, dt.date | None] | None = None  # (revision, newest article's day)

    @property
    def identity(self) -> str:
        """A string naming this store (server or path, and collection) for caches kept beside it."""
        try:
            settings = self.client.get_settings()
            where = settings.chroma_server_host or settings.persist_directory
            port = settings.chroma_server_http_port or ""
        except Exception:
            where, port = "?", ""
        return f"{where}:{port}/{self.name}"

    @property
    def chunks(self) -> Collection:
        if self._chunks is None:
            self._chunks = self.client.get_or_create_collection(
                f"{self.name}_chunks", embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedding": self.embedding_name},
            )
            stored = (self._chunks.metadata or {}).get("embedding")
            if stored and stored != self.embedding_name:
                raise UserError(
                    f"the store '{self.name}' holds {stored} embeddings, not {self.embedding_name}: "
                    "use another ASSISTANT_COLLECTION or the matching ASSISTANT_EMBEDDING"
                )
        return self._chunks

    @property
    def articles(self) -> Collection:
        if self._articles is None:
            self._articles = self.client.get_or_create_collection(
                f"{self.name}_articles", embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        return self._articles

    @property
    def texts(self) -> Collection:
        if self._texts is None:
            self._texts = self.client.get_or_create_collection(f"{self.name}_texts", embedding_function=None)
        return self._texts

    def vector_store(self) -> Any:
        """The chunk collection as a LlamaIndex `ChromaVectorStore`."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.chunks)

    # Reading ---------------------------------------------------------------------------------

    def revision(self) -> str | None:
        """Changes whenever an article is written or removed; None while article records are being written or
        removed, or were by a writer that was killed (the articles may change without a new revision then).

        One metadata read (~0.5 ms). It used to add the article count, a full scan in Chroma (4 ms at 20,000
        articles, and linear), which caught only some of what the mark catches: not a replaced article."""
        metadata = self._articles_metadata()
        return None if metadata.get("changing") else str(metadata.get("revision", ""))

    def _articles_metadata(self) -> dict[str, Any]:
        """The article collection's metadata as stored now (the cached object's may be stale: another process
        may have changed it)."""
        return dict(self.client.get_collection(self.articles.name).metadata or {})

    def is_empty(self) -> bool:
        return self.articles.count() == 0

    def list_articles(self) -> list[StoredArticle]:
        result = self.articles.get(include=["metadatas"])
        out = [article_from_record(i, m) for i, m in zip(result["ids"], result["metadatas"] or [], strict=False)]
        return sorted(out, key=lambda a: a.source)

    def article_shas(self) -> dict[str, str]:
        result = self.articles.get(include=["metadatas"])
        pairs = zip(result["ids"], result["metadatas"] or [], strict=False)
        return {i: str((m or {}).get("sha256", "")) for i, m in pairs}

    def find_by_sha(self, *sha256: str) -> list[StoredArticle]:
        """The stored articles holding any of these texts (by their SHA-256)."""
        where: Any = {"sha256": sha256[0] if len(sha256) == 1 else {"$in": list(sha256)}}
        result = self.articles.get(where=where, include=["metadatas"])
        return [article_from_record(i, m) for i, m in zip(result["ids"], result["metadatas"] or [], strict=False)]

    def get_article(self, article_id: str) -> StoredArticle | None:
        result = self.articles.get(ids=[article_id], include=["metadatas"])
        if not result["ids"]:
            return None
        return article_from_record(result["ids"][0], (result["metadatas"] or [{}])[0])

    def article_dates(self, article_ids: Iterable[str]) -> dict[str, dt.date]:
        """The publication day of each of these articles that has one (`dates`: a date line, front matter, page
        metadata)."""
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        result = self.articles.get(ids=ids, include=["metadatas"])
        pairs = zip(result["ids"], result["metadatas"] or [], strict=False)
        return {i: day for i, m in pairs if (day := as_day((m or {}).get("date", ""))) is not None}

    def newest_date(self) -> dt.date | None:
        """The newest article's publication day (None when no article has one): "now" for a question about "this
        week". Read once per revision of the store (a scan of the article records: ~50 ms at 20,000 articles)."""
        revision = self.revision()
        if revision is None or self._newest is None or self._newest[0] != revision:
            result = self.articles.get(include=["metadatas"])
            days = [day for m in result["metadatas"] or [] if (day := as_day((m or {}).get("date", ""))) is not None]
            newest = max(days, default=None)
            if revision is None:
                return newest
            self._newest = (revision, newest)
        return self._newest[1]

    def article_text(self, article_id: str) -> str | None:
        result = self.texts.get(ids=[article_id], include=["metadatas"])
        if result["ids"]:
            return str(((result["metadatas"] or [{}])[0] or {}).get("text", ""))
        result = self.articles.get(ids=[article_id], include=["documents"])  # a store of an earlier version
        docs = result.get("documents") or []
        return docs[0] if docs else None

    def get_chunks(self, chunk_ids: list[str] | None = None, article_ids: list[str] | None = None) -> list[StoredChunk]:
        if chunk_ids is not None and not chunk_ids:
            return []
        where: Any = {"document_id": {"$in": article_ids}} if article_ids else None
        result = self.chunks.get(ids=chunk_ids, where=where, include=["documents", "metadatas"])
        by_id = {
            i: chunk_from_record(i, d, m or {})
            for i, d, m in zip(result["ids"], result["documents"] or [], result["metadatas"] or [], strict=False)
        }
        order = chunk_ids if chunk_ids is not None else sorted(by_id)
        return [by_id[i] for i in order if i in by_id]

    def nearest(self, embedding: list[float], k: int) -> list[tuple[str, float]]:
        """Ids of the `k` chunks nearest to a query vector, best first, with their cosine similarity. Ids only:
        at 100,000 chunks Chroma answers in ~3.5 ms, against ~7 ms with the 30 candidates' records."""
        vectors: Any = [embedding]
        try:  # no count() first: it costs ~9 ms at 100,000 chunks, and Chroma caps n_results itself
            result = self.chunks.query(query_embeddings=vectors, n_results=k, include=["distances"])
        except Exception:  # a Chroma that rejects n_results above the collection size
            count = self.chunks.count()
            if count == 0:
                return []
            result = self.chunks.query(query_embeddings=vectors, n_results=min(k, count), include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True)]

    # Writing ---------------------------------------------------------------------------------

    def write_article(self, article: Article, chunks: list[Chunk], embeddings: Vectors) -> None:
        """Replace an article's chunks, then record the article: the record is the commit point."""
        self.write_articles([(article, chunks, embeddings)])

    def write_articles(self, items: list[tuple[Article, list[Chunk], Vectors]],
                       replacing: Iterable[str] | None = None) -> None:
        """`write_article` for several articles with one Chroma call per step instead of one per article.

        `replacing`: the articles whose old chunks must go first (default: all of them). The ingest, which has
        removed orphan chunks and knows which articles are stored, passes only those: deleting by a metadata
        filter costs about as much for articles that have no chunks.

        All chunks go in before any article record, so each record still commits only complete articles;
        at ~40 ms per Chroma write on this hardware, batching is most of the cost of ingestion outside embedding.
        Embeddings are lists of floats or rows of a numpy array (one per chunk). Chunk records are exactly what
        LlamaIndex's `ChromaVectorStore.add` writes for our `TextNode`s (see `records.chunk_metadata`), without
        importing LlamaIndex (1-3 s) or building the nodes.
        """
        for _ in self.write_steps(items, replacing, slice_chunks=None):
            pass

    def write_steps(self, items: list[tuple[Article, list[Chunk], Vectors]], replacing: Iterable[str] | None = None,
                    slice_chunks: int | None = 256) -> Iterator[None]:
        """`write_articles` one Chroma call at a time: each `next()` makes one call (chunks in slices of
        `slice_chunks`, None: all at once), so that a caller can interleave other work (Chroma holds the GIL for
        the whole of each call). The order, and so the commit point, is `write_articles`' own."""
        import numpy as np

        if not items:
            return
        ids = [article.article_id for article, _, _ in items]
        kept = None if replacing is None else set(replacing)
        old = ids if kept is None else [i for i in ids if i in kept]
        if old:
            where: Any = {"document_id": old[0]} if len(old) == 1 else {"document_id": {"$in": old}}
            self.chunks.delete(where=where)
            yield
        chunk_ids: list[str] = []
        metadatas: list[Any] = []
        vectors: list[Any] = []
        for article, chunks, embeddings in items:
            for chunk, vector in zip(chunks, np.asarray(embeddings, dtype=np.float32), strict=True):
                chunk_ids.append(chunk.chunk_id)
                metadatas.append(chunk_metadata(article, chunk))
                vectors.append(vector)
        step = min(self.client.get_max_batch_size(), slice_chunks or len(chunk_ids) or 1)
        for start in range(0, len(chunk_ids), step):
            part = slice(start, start + step)
            self.chunks.add(ids=chunk_ids[part], embeddings=vectors[part], metadatas=metadatas[part])
            yield
        records: list[Any] = []
        means: Any = []
        for article, chunks, embeddings in items:
            means.append(normalized_mean(embeddings))
            records.append({
                "source": article.source, "title": article.title, "sha256": article.sha256, "chunks": len(chunks),
                "parser": PARSER_VERSION,
                "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                **{k: v for k, v in article.metadata.items() if v},
            })
        step = max(1, slice_chunks // 2 if slice_chunks else len(ids))  # a text costs about two chunks
        for start in range(0, len(ids), step):
            part = slice(start, start + step)
            placeholders = np.ones((len(ids[part]), 1), dtype=np.float32)  # Chroma needs a vector per record
            self.texts.upsert(ids=ids[part], embeddings=placeholders,
                              metadatas=[{"text": article.text} for article, _, _ in items[part]])
            yield
        step = max(1, slice_chunks or len(ids))
        self._mark_changing()
        for start in range(0, len(ids), step):
            part = slice(start, start + step)
            self.articles.upsert(ids=ids[part], metadatas=records[part], embeddings=means[part])
            yield
        self._bump_revision()

    def remove_articles(self, article_ids: Iterable[str]) -> int:
        removed = 0
        for article_id in article_ids:
            if not removed:
                self._mark_changing()
            self.articles.delete(ids=[article_id])  # the commit point first: no half-removed article is listed
            self.chunks.delete(where={"document_id": article_id})
            self.texts.delete(ids=[article_id])
            removed += 1
        if removed:
            self._bump_revision()
        return removed

    def remove_orphan_chunks(self, known: set[str] | None = None) -> int:
        """Delete chunks and texts of articles that were never recorded (an ingest killed half-way), and move the
        revision on if a killed writer left its `changing` mark; returns the number of chunks deleted. `known`:
        the recorded article ids, if the caller has just listed them.

        A chunk's id names its article (`<article id>:<n>`, `Chunk.chunk_id`), so the chunks are listed by id
        alone (at 32,000 chunks 0.4 s, against 1.7 s with their metadata); only an id of another form has its
        metadata read for its article id."""
        if self.revision() is None:  # only an ingest calls this, holding the store's ingest lock
            self._bump_revision()
        if known is None:
            known = set(self.article_shas())
        orphans, unnamed = [], []
        for chunk_id in self.chunks.get(include=[])["ids"]:
            named = CHUNK_ID.fullmatch(chunk_id)
            if named is None:
                unnamed.append(chunk_id)
            elif named.group(1) not in known:
                orphans.append(chunk_id)
        if unnamed:
            result = self.chunks.get(ids=unnamed, include=["metadatas"])
            orphans += [i for i, m in zip(result["ids"], result["metadatas"] or [], strict=False)
                        if str((m or {}).get("document_id")) not in known]
        for start in range(0, len(orphans), 1000):
            self.chunks.delete(ids=orphans[start : start + 1000])
        texts = [i for i in self.texts.get(include=[])["ids"] if i not in known]
        for start in range(0, len(texts), 1000):
            self.texts.delete(ids=texts[start : start + 1000])
        return len(orphans)

    def chunk_count(self) -> int:
        return self.chunks.count()

    def _mark_changing(self) -> None:
        """Mark the article records as being changed (`revision` is None until `_bump_revision`)."""
        self._set_metadata(changing=uuid.uuid4().hex)

    def _bump_revision(self) -> None:
        self._set_metadata(revision=uuid.uuid4().hex, changing=None)

    def _set_metadata(self, **values: str | None) -> None:
        """Set (None: remove) keys of the article collection's metadata; Chroma replaces it whole."""
        metadata = {k: v for k, v in {**self._articles_metadata(), **values}.items() if v is not None}
        metadata.pop("hnsw:space", None)
        self.articles.modify(metadata=metadata)



def open_store(settings: Settings, embedding_name: str) -> Store:
    """Connect and return the store named by the settings."""
    return Store(connect(settings), settings.collection, embedding_name)
