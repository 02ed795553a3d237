"""Chunk records: written without LlamaIndex and without Chroma documents, read by stock LlamaIndex as the nodes it
writes itself, and read by the store alike from the earlier layout (Chroma documents)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.corpus import Store, chunk_article, parse_article
from assistant.corpus.records import normalized_mean
from assistant.runtime import count_minilm_tokens
from tests.corpus.helpers import store_named


def _llamaindex_nodes(items: list[Any]) -> list[Any]:
    """The chunks as LlamaIndex `TextNode`s with our metadata (what `Store.write_articles` wrote through
    `ChromaVectorStore.add` before it built Chroma records itself)."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    nodes = []
    for article, chunks, embeddings in items:
        for chunk, vector in zip(chunks, embeddings, strict=True):
            metadata = {
                "source": article.source, "title": article.title, "chunk": chunk.index,
                "start": chunk.start, "end": chunk.end,
                "sentences": json.dumps([[s.start, s.end] for s in chunk.sentences]), "sha256": article.sha256,
            }
            nodes.append(TextNode(
                id_=chunk.chunk_id, text=chunk.text(article.text), metadata=metadata, embedding=list(vector),
                excluded_llm_metadata_keys=["sentences", "start", "end", "chunk", "sha256"],
                excluded_embed_metadata_keys=list(metadata),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.article_id)},
            ))
    return nodes


def _write_earlier_layout(store: Store, items: list[Any]) -> None:
    """A store as earlier versions wrote it: chunks through LlamaIndex's `ChromaVectorStore.add` (text as the
    Chroma document), article records with the article's text as their document, no texts collection."""
    store.vector_store().add(_llamaindex_nodes(items))
    store.articles.upsert(ids=[a.article_id for a, _, _ in items], documents=[a.text for a, _, _ in items],
                          embeddings=[normalized_mean(e) for _, _, e in items],
                          metadatas=[{"source": a.source, "title": a.title, "sha256": a.sha256, "chunks": len(c),
                                      **{k: v for k, v in a.metadata.items() if v}} for a, c, _ in items])
    store._bump_revision()


def _node_view(node: Any) -> str:
    """A node as LlamaIndex engines use it: everything but the embedding."""
    return json.dumps({**node.dict(), "embedding": None}, sort_keys=True)


def test_chunk_records_are_read_by_llamaindex_as_the_nodes_it_writes(tmp_path: Path, session: Any) -> None:
    """Chunk records are built without LlamaIndex and without Chroma documents, yet stock LlamaIndex reads them
    (`ChromaVectorStore.get_nodes` and `query`) as exactly the nodes it would have written itself: same ids,
    texts, metadata, excluded keys, source article and vectors; and its delete by article removes them. Our
    own reads give the same chunks and article texts from a store in the earlier layout (Chroma documents)."""
    from llama_index.core.vector_stores.types import VectorStoreQuery

    texts = {
        "/news/é/premier.md": "---\ntitle: « Drone » hits the premier's house\noutlet: Le Monde\n---\n"
                              "Seven guards were injured, officials said. Ünïcode quotes: “yes” — 東京.\n",
        "/news/rates.html": "<html><head><title>Rates</title></head><body><h1>Rates rise</h1><p>The bank raised "
                            "rates. Markets fell on Thursday.</p><p>Analysts expect more &amp; soon.</p></body></html>",
        "/news/long.txt": "Long story\n\n" + " ".join(f"Sentence number {i} says something new." for i in range(60)),
    }
    items = []
    for seed, (source, text) in enumerate(texts.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 64)
        vectors = np.random.default_rng(seed).standard_normal((len(chunks), 384)).astype(np.float32)
        items.append((article, chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)))
    ours, earlier = store_named(session, "ours"), store_named(session, "earlier")
    ours.write_articles(items)
    _write_earlier_layout(earlier, items)
    expected = {node.node_id: node for node in _llamaindex_nodes(items)}
    assert ours.chunk_count() == len(expected) > len(items)
    assert ours.chunks.get(include=["documents"])["documents"] == [None] * len(expected)

    for store in (ours, earlier):
        read = {node.node_id: node for node in store.vector_store().get_nodes(None)}
        assert {i: _node_view(n) for i, n in read.items()} == {i: _node_view(n) for i, n in expected.items()}
        for node_id, node in expected.items():  # nearest to its own vector: itself, with its text and source
            found = store.vector_store().query(VectorStoreQuery(query_embedding=node.embedding, similarity_top_k=1))
            assert found.ids == [node_id]
            assert _node_view(found.nodes[0]) == _node_view(node)
        stored = store.chunks.get(include=["embeddings"])
        for chunk_id, vector in zip(stored["ids"], stored["embeddings"], strict=True):
            assert np.allclose(vector, expected[chunk_id].embedding, atol=1e-6)

    assert ours.get_chunks(chunk_ids=sorted(expected)) == earlier.get_chunks(chunk_ids=sorted(expected))
    for article, _, _ in items:
        assert ours.article_text(article.article_id) == earlier.article_text(article.article_id) == article.text
        mine, theirs = ours.get_article(article.article_id), earlier.get_article(article.article_id)
        assert mine is not None and theirs is not None
        assert (mine.source, mine.title, mine.sha256, mine.chunks) == (theirs.source, theirs.title, theirs.sha256,
                                                                       theirs.chunks)
    query = items[2][2][1].tolist()
    assert ours.nearest(query, 3) == earlier.nearest(query, 3)

    gone = items[0][0].article_id
    ours.vector_store().delete(gone)  # LlamaIndex deletes an article's chunks by its `document_id`
    assert all(not i.startswith(gone) for i in ours.chunks.get(include=[])["ids"])
    assert ours.chunk_count() == len(expected) - len(items[0][1])
