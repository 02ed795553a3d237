"""The store's records: a chunk's Chroma metadata, in the format LlamaIndex's `ChromaVectorStore` reads, an article
record's vector, and records read back as `StoredChunk` and `StoredArticle` (from either layout, see `store`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from assistant.corpus.articles import Article, Chunk

    Vectors = list[list[float]] | np.ndarray  # one row per chunk


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store knows it."""

    article_id: str
    source: str
    title: str
    sha256: str
    chunks: int
    metadata: dict[str, Any]
    parser: str = ""  # the `articles.PARSER_VERSION` it was parsed with ("" before versions were recorded)


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the store returns it: text plus the article sentence offsets it covers."""

    chunk_id: str
    article_id: str
    source: str
    title: str
    text: str
    sentences: list[tuple[int, int]]
    score: float = 0.0

    def sentence_texts(self) -> list[tuple[int, int, str]]:
        """(start, end, text) of each sentence; the chunk text joins them with single spaces."""
        out, cursor = [], 0
        for start, end in self.sentences:
            length = end - start
            out.append((start, end, self.text[cursor : cursor + length]))
            cursor += length + 1
        return out


CHUNK_ID = re.compile(r"([0-9a-f]{24}):[0-9]+")  # `Chunk.chunk_id`: the article's id (`article_id_for`), ":", n
_EMBED_EXCLUDED = ["source", "title", "chunk", "start", "end", "sentences", "sha256"]
_LLM_EXCLUDED = ["sentences", "start", "end", "chunk", "sha256"]


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    """A chunk's Chroma metadata: a `TextNode` with our metadata, excluded keys, the article as source and the
    chunk's text, as LlamaIndex's `node_to_metadata_dict(node, remove_text=False)` serializes it, so that stock
    LlamaIndex engines read the store (`metadata_dict_to_node` takes the text from `_node_content` when Chroma
    has no document). Of the plain metadata only what filters need: `document_id` (LlamaIndex deletes by it),
    source and title. tests/corpus/test_records.py checks what LlamaIndex reads back."""
    metadata: dict[str, Any] = {
        "source": article.source, "title": article.title, "chunk": chunk.index, "start": chunk.start,
        "end": chunk.end, "sentences": json.dumps([[s.start, s.end] for s in chunk.sentences]),
        "sha256": article.sha256,
    }
    node: dict[str, Any] = {
        "id_": chunk.chunk_id, "embedding": None, "metadata": metadata,
        "excluded_embed_metadata_keys": _EMBED_EXCLUDED, "excluded_llm_metadata_keys": _LLM_EXCLUDED,
        "relationships": {"1": {"node_id": article.article_id, "node_type": None, "metadata": {}, "hash": None,
                                "class_name": "RelatedNodeInfo"}},
        "metadata_template": "{key}: {value}", "metadata_separator": "\n", "text": chunk.text(article.text),
        "mimetype": "text/plain",
        "start_char_idx": None, "end_char_idx": None, "text_template": "{metadata_str}\n\n{content}",
        "class_name": "TextNode",
    }
    return {"source": article.source, "title": article.title, "_node_content": json.dumps(node, ensure_ascii=False),
            "_node_type": "TextNode", "document_id": article.article_id}


def normalized_mean(vectors: Vectors) -> list[float]:
    """An article record's vector (Chroma needs one per record): its chunks' vectors summed, to unit length."""
    import numpy as np

    if len(vectors) == 0:
        return [0.0]
    sums = np.asarray(vectors, dtype=np.float64).sum(axis=0)
    norm = float(np.sqrt(sums @ sums)) or 1.0
    return (sums / norm).tolist()


def article_from_record(article_id: str, meta: Any) -> StoredArticle:
    """An article from its Chroma record: the known keys as fields, the rest (date, outlet, ...) as metadata."""
    meta = dict(meta or {})
    return StoredArticle(
        article_id=article_id, source=str(meta.pop("source", "")), title=str(meta.pop("title", "")),
        sha256=str(meta.pop("sha256", "")), chunks=int(meta.pop("chunks", 0)), parser=str(meta.pop("parser", "")),
        metadata=meta,
    )


def chunk_from_record(chunk_id: str, document: str | None, meta: Any) -> StoredChunk:
    """A chunk from its Chroma record: text and offsets from `_node_content` (a store of an earlier version:
    the document and plain metadata)."""
    node = json.loads(meta.get("_node_content") or "{}")
    details = {**(node.get("metadata") or {}), **meta}
    spans = json.loads(details.get("sentences") or "[]")
    return StoredChunk(
        chunk_id=chunk_id, article_id=str(meta.get("document_id", "")), source=str(details.get("source", "")),
        title=str(details.get("title", "")), text=document or str(node.get("text") or ""),
        sentences=[(int(a), int(b)) for a, b in spans],
    )
