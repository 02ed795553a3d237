"""Helpers for the corpus tests: random unit vectors, three short articles written to a store, another collection
beside a session's store, an article's sentences as text."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.corpus import Article, Store, chunk_article, open_store, parse_article
from assistant.runtime import count_minilm_tokens


def vectors(count: int, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [[float(x) for x in v] for v in vectors]


ARTICLES = {
    "/news/a.txt": "Drone strikes residence\n\nSeven guards were injured in the attack. "
                   "The prime minister was unharmed.",
    "/news/b.txt": "Rates rise again\n\nThe central bank raised rates by half a point. Markets fell on Thursday. "
                   "Analysts expect another rise in March.",
    "/news/c.txt": "Flood in Lima\n\nThe river burst its banks on Monday. Three hundred homes were flooded.",
}


def fill(store: Store, batched: bool) -> None:
    items = []
    for seed, (source, text) in enumerate(ARTICLES.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        items.append((article, chunks, vectors(len(chunks), seed)))
    if batched:
        store.write_articles(items)
    else:
        for item in items:
            store.write_article(*item)


def sentence_texts(article: Article) -> list[str]:
    """The article's sentences as text."""
    return [article.text[s.start : s.end] for s in article.sentences]


def store_named(session: Any, collection: str) -> Store:
    """Another collection beside the session's store, with the same embedding model."""
    return open_store(session.settings.model_copy(update={"collection": collection}), session.store.embedding_name)
