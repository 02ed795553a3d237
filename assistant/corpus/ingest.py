"""The ingest pipeline: article files read, parsed and chunked, their chunks embedded in batches across articles,
each batch written to the store while the next one is embedded; one ingest at a time per store."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import INGEST_BATCH_CHUNKS, data_home
from assistant.corpus.articles import (
    PARSER_VERSION,
    Article,
    Chunk,
    article_id_for,
    find_articles,
    parse_article,
    read_text,
    text_sha256,
)
from assistant.corpus.chunking import WordPieces, chunk_article
from assistant.corpus.records import StoredArticle
from assistant.errors import UserError
from assistant.locking import ingest_lock, lock_path


@dataclass
class IngestReport:
    """What an ingest run did, file by file."""

    ingested: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old source, new source): same text, file moved
    chunks: int = 0

    def summary(self) -> str:
        text = (f"{len(self.ingested)} ingested ({self.chunks} chunks), {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped")
        if self.skipped:
            reasons: dict[str, int] = {}
            for _, reason in self.skipped:
                kind = "duplicate text" if reason.startswith("same text as") else reason.split(" (")[0]
                reasons[kind] = reasons.get(kind, 0) + 1
            text += " (" + ", ".join(f"{kind}: {n}" for kind, n in reasons.items()) + ")"
        text += f", {len(self.moved)} moved" if self.moved else ""
        return text + (f", {len(self.removed)} removed" if self.removed else "")


def ingest_paths(
    paths: list[Path],
    store: Any,
    embed_model: Any,
    chunk_tokens: int,
    prune: bool = False,
    warn: Callable[[str], None] = lambda message: None,
    progress: Callable[[int, int, str], None] = lambda done, total, name: None,
    batch_chunks: int = INGEST_BATCH_CHUNKS,
) -> IngestReport:
    """Ingest article files into the store; unchanged files are skipped, changed ones replaced, and a file whose
    text is stored only under files that are gone is taken as moved (`IngestReport.moved`).

    Chunks of several articles are embedded together (one model call per 32 chunks of similar length) and
    written together (one Chroma call per step and per ~256 chunks, `Store.write_steps`) in batches of about
    `batch_chunks` chunks, whole articles only; a batch is written while the next one is embedded.
    One ingest at a time writes to a store: others wait on an inter-process lock (see `assistant.locking`).
    """
    files = list(dict.fromkeys(_resolve(p) for p in find_articles(paths)))
    with ingest_lock(lock_path(data_home(), str(getattr(store, "identity", "store"))), warn):
        return _ingest_files(files, store, embed_model, chunk_tokens, prune, warn, progress, max(1, batch_chunks))


def seeds_due(store: Any, hint: str = "run `assistant ingest FOLDER` first") -> tuple[Path, str] | None:
    """The bundled demo articles and the notice to give, when they must be ingested now: into an empty store, or
    because the store holds them only under files that are gone (another copy of the package, since removed,
    whose paths its citations would name). An empty store and no bundled articles: `UserError` with `hint`."""
    from assistant.resources import bundled_seeds

    seeds = bundled_seeds()
    if store.is_empty():
        if not seeds.is_dir():
            raise UserError(f"the store is empty: {hint}")
        return seeds, f"The store is empty: ingesting the bundled articles in {seeds} first."
    if seeds.is_dir() and moved_away([seeds], store):
        return seeds, f"The bundled articles are stored under files that are gone: storing them from {seeds}."
    return None


def moved_away(paths: list[Path], store: Any) -> bool:
    """Whether the store holds the text of one of these article files only under files that are gone (a copy of
    the package since removed, a folder moved): then an ingest of `paths` moves the records to these files."""
    shas = set()
    for path in find_articles(paths):
        try:
            shas.add(text_sha256(read_text(path)))
        except UserError:  # unreadable: the ingest reports it
            continue
    live: dict[str, bool] = {}
    for copy in store.find_by_sha(*shas) if shas else []:
        live[copy.sha256] = live.get(copy.sha256, False) or Path(copy.source).exists()
    return not all(live.values())


def _resolve(path: Path) -> Path:
    try:
        if path.is_symlink() and not path.exists():  # broken: keep its own name for the warning
            return path.absolute()
        return path.resolve()
    except (OSError, RuntimeError):  # a symbolic link loop: kept as named, `read_article` reports it
        return path.absolute()


@dataclass
class _Batch:
    """Articles waiting to be embedded and written together, with their chunks' texts and word-pieces."""

    articles: list[tuple[Article, list[Chunk]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    pieces: list[list[int]] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)  # ids of articles already in the store: their old chunks go


class _StoredTexts:
    """Which article holds which text (by sha256): the store's state at the start, plus every article queued
    since, so that the unchanged and duplicate checks need no store lookup per file."""

    def __init__(self, stored: list[Any]) -> None:
        self.sha_of: dict[str, str] = {}
        self.holders: dict[str, dict[str, str]] = {}  # sha256 -> {article id: source}, in the store's order
        for article in stored:
            self.record(article.article_id, article.sha256, article.source)
        self.at_start = set(self.sha_of)
        # Parsed by another version of `parse_article`: parsed and embedded again though the file is unchanged.
        self.outdated = {a.article_id for a in stored if a.parser != PARSER_VERSION}

    def unchanged(self, article_id: str, text: str) -> bool:
        """Whether the store holds this text for this article, as this version parses it."""
        return article_id not in self.outdated and self.sha_of.get(article_id) == text_sha256(text)

    def others(self, article: Article) -> dict[str, str]:
        """The other articles holding the same text: {article id: source}."""
        return {i: s for i, s in self.holders.get(article.sha256, {}).items() if i != article.article_id}

    def forget(self, article_ids: list[str]) -> None:
        for article_id in article_ids:
            self.holders.get(self.sha_of.pop(article_id, ""), {}).pop(article_id, None)

    def record(self, article_id: str, sha256: str, source: str) -> None:
        old = self.sha_of.get(article_id)
        if old is not None:
            self.holders.get(old, {}).pop(article_id, None)
        self.sha_of[article_id] = sha256
        self.holders.setdefault(sha256, {})[article_id] = source


def _onnx_model(embed_model: Any) -> Any:
    """The ONNX session under the bundled MiniLM embedding (it takes word-pieces), or None for other models."""
    from assistant.runtime import MiniLMEmbedding

    if not isinstance(embed_model, MiniLMEmbedding):
        return None
    model = embed_model._load()
    return model if embed_model._onnx and hasattr(model, "run_overlapped") else None


class _Writes:
    """The Chroma calls that write one batch (`Store.write_steps`), made one at a time by `step`: during the
    next batch's embedding, between its model calls, and the rest by `finish`."""

    def __init__(self, store: Any, batch: _Batch, vectors: Any, last: bool) -> None:
        items, start = [], 0
        for article, chunks in batch.articles:
            items.append((article, chunks, vectors[start : start + len(chunks)]))
            start += len(chunks)
        self.batch = batch
        # ~0.3 s per call, less than a model batch, when interleaved; the last batch, written alone, in fewer calls
        # (each costs ~25 ms more)
        self.steps = store.write_steps(items, batch.stored, slice_chunks=None if last else 256)
        self.failed = False

    def step(self) -> None:
        try:
            next(self.steps, None)
        except BaseException:
            self.failed = True
            raise

    def finish(self, report: IngestReport) -> None:
        """Make the remaining calls; the batch's articles are ingested once its records are written."""
        try:
            for _ in self.steps:
                pass
        except BaseException:
            self.failed = True
            raise
        report.ingested.extend(article.source for article, _ in self.batch.articles)
        report.chunks += len(self.batch.texts)


def _embed(embed_model: Any, batch: _Batch, progress: Callable[[int], None], meanwhile: Callable[[], None]) -> Any:
    """Vectors of the batch's chunks in order, as one float32 array.

    The ONNX model's own `OnnxMiniLM.encode` gets the chunks' word-pieces from chunking and calls `meanwhile()`
    during each of its model calls; other models get the texts longest first (similar lengths in a call, less
    padding), `meanwhile()` before each call. `progress` gets the number of chunks embedded so far.
    """
    import numpy as np

    texts, onnx = batch.texts, _onnx_model(embed_model)
    step = max(1, int(getattr(embed_model, "embed_batch_size", 32) or 32))
    if onnx is not None:
        return onnx.encode(texts, step, batch.pieces, meanwhile=meanwhile, progress=progress)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out: Any = None
    for start in range(0, len(order), step):
        index = order[start : start + step]
        meanwhile()
        vectors = np.asarray(embed_model.get_text_embedding_batch([texts[i] for i in index]), dtype=np.float32)
        if out is None:
            out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        out[index] = vectors
        progress(start + len(index))
    return out


def _stale_copies(stored: list[StoredArticle]) -> list[tuple[StoredArticle, str]]:
    """Stored articles whose file is gone while another stored article with the same text has its file, each with
    that file: left by an ingest that stopped between writing a moved article and removing its old record."""
    by_text: dict[str, list[StoredArticle]] = {}
    for article in stored:
        by_text.setdefault(article.sha256, []).append(article)
    out = []
    for copies in by_text.values():
        if len(copies) > 1:
            present = [Path(a.source).exists() for a in copies]
            live = next((a.source for a, here in zip(copies, present, strict=True) if here), None)
            out += [(a, live) for a, here in zip(copies, present, strict=True) if live is not None and not here]
    return out


def _ingest_files(
    files: list[Path],
    store: Any,
    embed_model: Any,
    chunk_tokens: int,
    prune: bool,
    warn: Callable[[str], None],
    progress: Callable[[int, int, str], None],
    batch_chunks: int = INGEST_BATCH_CHUNKS,
) -> IngestReport:
    """`ingest_paths` once the files are known and this process holds the store's ingest lock.

    Each batch is written by `Store.write_steps`: all its chunks, then its article records (the commit point), so
    a kill at any moment leaves whole articles, and at most orphan chunks that the next run removes. Batch N is
    written while batch N+1 is embedded, one Chroma call between two model calls. If something fails, the batches
    embedded before are still written. The progress count is of files dealt with: skipped or unchanged ones at
    once, the others as they are embedded.
    """
    report = IngestReport()
    stored = store.list_articles()
    store.remove_orphan_chunks({a.article_id for a in stored})  # from here on, only recorded articles have chunks
    stale = _stale_copies(stored)
    stale_ids = {a.article_id for a, _ in stale}
    store.remove_articles(stale_ids)
    report.moved += [(a.source, live) for a, live in stale]
    texts = _StoredTexts([a for a in stored if a.article_id not in stale_ids])
    moves: dict[str, list[tuple[str, str]]] = {}  # new source -> (article id, source) of the copies it replaces
    pieces = WordPieces()
    batch = _Batch()
    handled = 0
    writes: _Writes | None = None

    def flush(last: bool = False) -> None:
        nonlocal batch, handled, writes
        ends = list(itertools.accumulate(len(chunks) for _, chunks in batch.articles))  # chunks up to each article

        def embedded(count: int) -> None:  # about as many articles done as their share of the chunks
            done = bisect.bisect_left(ends, count * ends[-1] // len(batch.texts))
            progress(handled + done, len(files), Path(batch.articles[min(done, len(ends) - 1)][0].source).name)

        previous = writes
        vectors = _embed(embed_model, batch, embedded, previous.step if previous else lambda: None)
        if previous is not None:
            writes = None
            previous.finish(report)
        writes = _Writes(store, batch, vectors, last)
        handled += len(batch.articles)
        batch = _Batch()

    try:
        for path in files:
            progress(handled, len(files), path.name)
            source = str(path)  # resolved by `ingest_paths`
            try:
                text = read_text(path)
            except UserError as exc:
                report.skipped.append((source, str(exc)))
                warn(f"skipped {path}: {exc}")
                handled += 1
                continue
            if texts.unchanged(article_id_for(source), text):  # known before it is parsed
                report.unchanged.append(source)
                handled += 1
                continue
            article = parse_article(source, text)
            if not article.sentences:
                report.skipped.append((source, "no text"))
                warn(f"skipped {path}: no text")
                handled += 1
                continue
            others = texts.others(article)
            twin = next((s for s in others.values() if Path(s).exists()), None)
            if twin is not None:
                report.skipped.append((source, f"same text as {twin}"))
                warn(f"skipped {path}: same text as {twin}")
                handled += 1
                continue
            if others:  # the files of all other copies are gone: the article moved here
                moves[source] = list(others.items())
                texts.forget(list(others))
            texts.record(article.article_id, article.sha256, article.source)
            chunks = chunk_article(article, pieces.count, chunk_tokens)
            batch.articles.append((article, chunks))
            batch.texts.extend(c.text(article.text) for c in chunks)
            batch.pieces.extend(pieces.of_chunks(article, chunks))
            if article.article_id in texts.at_start:
                batch.stored.add(article.article_id)
            if len(batch.texts) >= batch_chunks:
                flush()
        if batch.articles:
            flush(last=True)
    finally:
        if writes is not None and not writes.failed:  # what was embedded before a failure is still written
            writes.finish(report)
    written = set(report.ingested)
    replaced = [(old_id, old, new) for new, olds in moves.items() if new in written for old_id, old in olds]
    store.remove_articles(old_id for old_id, _, _ in replaced)  # after the moved article's record is written
    report.moved += [(old, new) for _, old, new in replaced]
    progress(len(files), len(files), "")
    if prune:
        gone = [a for a in store.list_articles() if not Path(a.source).exists()]
        store.remove_articles(a.article_id for a in gone)
        report.removed = [a.source for a in gone]
    return report
