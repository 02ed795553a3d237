"""The corpus: articles on disk become sentences and chunks (`ingest`), stored with their vectors in Chroma
(`store`), and found again by hybrid dense + keyword search (`retrieval`, `keyword_index`)."""

from assistant.corpus.ingest import (
    Article,
    Chunk,
    IngestReport,
    article_id_for,
    chunk_article,
    find_articles,
    ingest_paths,
    read_article,
)
from assistant.corpus.keyword_index import KeywordIndex
from assistant.corpus.retrieval import HybridRetriever, build_retriever
from assistant.corpus.store import Store, StoredArticle, StoredChunk, open_store

__all__ = [
    "Article",
    "Chunk",
    "HybridRetriever",
    "IngestReport",
    "KeywordIndex",
    "Store",
    "StoredArticle",
    "StoredChunk",
    "article_id_for",
    "build_retriever",
    "chunk_article",
    "find_articles",
    "ingest_paths",
    "open_store",
    "read_article",
]
