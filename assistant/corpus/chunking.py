"""Chunks: an article's sentences grouped into passages that fit the embedding model's window, counted in its
word-pieces, which are kept for the model so that it need not tokenize the chunks again."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.corpus.articles import Article, Chunk
from assistant.text import Span

CHUNK_HARD_LIMIT = 256  # all-MiniLM-L6-v2 truncates past 256 word-pieces


def chunk_article(article: Article, count_tokens: Callable[[str], int], max_tokens: int) -> list[Chunk]:
    """Group sentences into chunks of at most `max_tokens` word-pieces (never over 256).

    A sentence longer than the limit is cut at word boundaries into pieces that fit.
    """
    limit = min(max_tokens, CHUNK_HARD_LIMIT)
    pieces: list[tuple[Span, int]] = []
    for sentence in article.sentences:
        size = count_tokens(article.text[sentence.start : sentence.end])
        if size <= CHUNK_HARD_LIMIT - 6:
            pieces.append((sentence, size))
        else:
            pieces.extend(_split_long(article.text, sentence, count_tokens, CHUNK_HARD_LIMIT - 6))
    chunks: list[Chunk] = []
    current: list[Span] = []
    current_size = 0
    for span, size in pieces:
        if current and current_size + size > limit:
            chunks.append(Chunk(article.article_id, len(chunks), current))
            current, current_size = [], 0
        current.append(span)
        current_size += size
    if current:
        chunks.append(Chunk(article.article_id, len(chunks), current))
    return chunks


def _split_long(text: str, span: Span, count_tokens: Callable[[str], int], limit: int) -> list[tuple[Span, int]]:
    """Cut an over-long sentence at word boundaries; word-piece counts of words add up (BERT splits on spaces)."""
    parts: list[tuple[Span, int]] = []
    begin: int | None = None
    last_end = span.start
    size = 0
    for word in re.finditer(r"\S+", text[span.start : span.end]):
        word_start, word_end = span.start + word.start(), span.start + word.end()
        word_size = min(count_tokens(word.group(0)), limit)
        if begin is not None and size + word_size > limit:
            parts.append((Span(begin, last_end), size))
            begin, size = None, 0
        if begin is None:
            begin = word_start
        size += word_size
        last_end = word_end
    if begin is not None:
        parts.append((Span(begin, last_end), size))
    return parts


class WordPieces:
    """The chunker's token counter (all-MiniLM-L6-v2 word-pieces, as `count_minilm_tokens`) keeping the pieces it
    counted, so that the embedding model gets each chunk's ids instead of tokenizing the chunk again.

    BERT tokenization splits text at spaces before anything else, so a chunk (its sentences joined by single
    spaces) is exactly its sentences' word-pieces in order; tests/corpus/test_chunking.py checks this.
    """

    def __init__(self) -> None:
        from assistant.runtime import minilm_tokenizer

        self.tokenizer = minilm_tokenizer()
        self.known: dict[str, list[int]] = {}

    def count(self, text: str) -> int:
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False).ids
        self.known[text] = ids
        return len(ids)

    def of_chunks(self, article: Article, chunks: list[Chunk]) -> list[list[int]]:
        """Each chunk's word-pieces; forgets what it counted for this article."""
        out = []
        for chunk in chunks:
            ids: list[int] = []
            for span in chunk.sentences:
                text = article.text[span.start : span.end]
                known = self.known.get(text)
                ids.extend(known if known is not None else self.tokenizer.encode(text, add_special_tokens=False).ids)
            out.append(ids)
        self.known.clear()
        return out
