"""The corpus: articles on disk become sentences (`articles`, `boilerplate`, `html_text`) and chunks (`chunking`),
ingested (`ingest`) with their vectors into Chroma (`store`, `records`), and found again by hybrid dense + keyword
search (`retrieval`, `keyword_index`)."""

from assistant.corpus.articles import (
    Article,
    Chunk,
    article_id_for,
    find_articles,
    parse_article,
    read_article,
)
from assistant.corpus.chunking import chunk_article
from assistant.corpus.ingest import IngestReport, ingest_paths, seeds_due
from assistant.corpus.keyword_index import KeywordIndex
from assistant.corpus.records import StoredArticle, StoredChunk
from assistant.corpus.retrieval import HybridRetriever, build_retriever
from assistant.corpus.store import Store, open_store

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
    "parse_article",
    "read_article",
    "seeds_due",
]
