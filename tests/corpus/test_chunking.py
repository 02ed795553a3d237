"""Chunking: chunks fit the embedding window, and the word-pieces counted while chunking are the model's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.corpus import chunk_article, parse_article, read_article
from assistant.corpus.chunking import CHUNK_HARD_LIMIT, WordPieces
from assistant.runtime import count_minilm_tokens
from tests.conftest import SEEDS


def test_chunks_stay_within_the_embedding_window(tmp_path: Path) -> None:
    long_sentence = " ".join(["word"] * 900) + "."
    article = parse_article(str(tmp_path / "long.txt"), "Title line\n" + long_sentence + "\nShort end.\n")
    chunks = chunk_article(article, count_minilm_tokens, 128)
    assert len(chunks) >= 4
    for chunk in chunks:
        assert count_minilm_tokens(chunk.text(article.text)) <= CHUNK_HARD_LIMIT
    for path in SEEDS.glob("*.txt"):
        seed = read_article(path)
        for chunk in chunk_article(seed, count_minilm_tokens, 128):
            assert count_minilm_tokens(chunk.text(seed.text)) <= 128


def test_chunk_word_pieces_from_chunking_are_what_the_model_would_tokenize(tmp_path: Path, session: Any) -> None:
    """The ONNX model gets each chunk's word-pieces from chunking instead of tokenizing the chunk again: they must
    be the tokenizer's own ids for the chunk text (with truncation), and give the same vectors."""
    from assistant.corpus.ingest import _onnx_model as onnx_model

    model = onnx_model(session.embed_model)
    if model is None:
        pytest.skip("the ONNX export is not available")
    articles = [read_article(path) for path in sorted(SEEDS.glob("*.txt"))]
    articles.append(parse_article("/x/unicode.txt", "Ünïcode — naïve café. Straße, 東京 and ﬁve ligatures!\n"
                                  "Tabs\tand\u00a0non-breaking spaces; e\u0301 combining; \u200bzero width.\n"
                                  "Emoji 🙂 end. " + "x" * 900 + " after a very long word.\n"))
    articles.append(parse_article("/x/long.txt", " ".join(["word"] * 700) + "."))
    texts: list[str] = []
    pieces: list[list[int]] = []
    counter = WordPieces()
    for article in articles:
        for chunk_tokens in (32, 128, 256):
            chunks = chunk_article(article, counter.count, chunk_tokens)
            texts.extend(c.text(article.text) for c in chunks)
            pieces.extend(counter.of_chunks(article, chunks))
    assert len(texts) > 60
    tokenized = model.features(texts)
    given = model.features(texts, pieces)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(tokenized[name], given[name]), name
    assert np.allclose(model.encode(texts), model.encode(texts, pieces=pieces), atol=1e-6)
