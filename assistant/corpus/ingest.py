"""Articles on disk to sentences and chunks, with offsets that always point into the file's own text."""

from __future__ import annotations

import bisect
import errno
import hashlib
import html
import itertools
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from assistant.config import INGEST_BATCH_CHUNKS, data_home
from assistant.errors import UserError
from assistant.locking import ingest_lock, lock_path
from assistant.text import Span, sentence_spans

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
MAX_FILE_BYTES = 20 * 1024 * 1024
CHUNK_HARD_LIMIT = 256  # all-MiniLM-L6-v2 truncates past 256 word-pieces

_READ_MORE = re.compile(r"^\s*(?:READ MORE|Read more|ALSO READ|Also read|RELATED|Related)\b\s*:?", re.UNICODE)
_BOILERPLATE_LINE = re.compile(
    r"^\s*(?:\d+\s+Comments?|via IFTTT|Advertisement|ADVERTISEMENT|Share this article|Sign up for .*|"
    r"Subscribe .*|Click here .*|Follow us on .*|from \S+ https?://\S+|https?://\S+|Image:? .{0,40}|"
    r"Photo:? .{0,40}|Copyright .*|©.*)\s*$"
)
_URL = re.compile(r"https?://\S+")
_OUTLET_LINE = re.compile(r"^\s*(?P<outlet>[A-Z][\w&.' -]{1,40}?)\s+Report\s*$")
_FEED_FOOTER = re.compile(r"^\s*from (?P<outlet>\S+) (?P<url>https?://\S+)\s*$", re.MULTILINE)


@dataclass
class Article:
    """One article: its text exactly as in the file, and the sentences worth embedding."""

    source: str
    text: str
    title: str
    sentences: list[Span]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return text_sha256(self.text)

    @property
    def article_id(self) -> str:
        return article_id_for(self.source)


@dataclass
class Chunk:
    """Consecutive sentences of one article; `text` joins them with single spaces."""

    article_id: str
    index: int
    sentences: list[Span]

    def text(self, article_text: str) -> str:
        return " ".join(article_text[s.start : s.end] for s in self.sentences)

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    @property
    def chunk_id(self) -> str:
        return f"{self.article_id}:{self.index}"


def text_sha256(text: str) -> str:
    """The SHA-256 an article's text is recorded and compared by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_id_for(source: str) -> str:
    """A stable id for an article path."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:24]


def find_articles(paths: list[Path]) -> Iterator[Path]:
    """Article files under `paths` (files are taken as given; folders are walked, sorted, links not followed).

    Names with an article suffix that are not regular files (a folder called `x.txt`, a FIFO, a broken or
    looping link) are yielded too, so that `read_article` reports them as skipped instead of hiding them.
    """
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UserError(f"no such file or folder: {path}")
        if not path.is_dir():
            yield path
            continue
        for candidate in sorted(path.rglob("*")):
            if candidate.is_symlink() and candidate.is_dir():
                continue
            if candidate.suffix.lower() not in ARTICLE_SUFFIXES:
                continue
            if not candidate.is_dir() or _has_no_articles(candidate):  # a folder `x.txt` holding no articles too
                yield candidate


def _has_no_articles(folder: Path) -> bool:
    return not any(p.suffix.lower() in ARTICLE_SUFFIXES for p in folder.iterdir())


def read_article(path: Path) -> Article:
    """Read and parse one article file; raises `UserError` with the reason when it cannot be used."""
    text = read_text(path)  # first: it reports a link loop, on which `resolve` fails
    return parse_article(str(path.resolve()), text)


def read_text(path: Path) -> str:
    """An article file's text, decoded (UTF-8, else Windows-1252 or Latin-1); raises `UserError` with the reason
    when it cannot be used (not a regular file, too large, unreadable, binary)."""
    try:
        info = path.stat()  # follows links: a looping link raises ELOOP here
        if not stat.S_ISREG(info.st_mode):  # never open a FIFO or device: reading it could block forever
            raise UserError("a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise UserError(f"too large ({size // (1024 * 1024)} MB > {MAX_FILE_BYTES // (1024 * 1024)} MB)")
        raw = path.read_bytes()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError("symbolic link loop") from None
        if exc.errno == errno.ENOENT and path.is_symlink():
            raise UserError("broken symbolic link") from None
        raise UserError(f"unreadable ({exc.strerror or exc})") from None
    if b"\x00" in raw[:8192]:
        raise UserError("binary file")
    try:
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        if _looks_binary(raw[:8192]):
            raise UserError("binary file") from None
        try:  # legacy 8-bit text, one character per byte: Windows-1252 if it fits, else Latin-1
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    # Offsets are into this decoded text; CR LF is kept as is so that offsets match the file.
    return text


def _looks_binary(sample: bytes) -> bool:
    """More than 5% C0 control bytes (other than tab, CR, LF, FF, ESC): not text in any 8-bit code."""
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(sample) // 20


def parse_article(source: str, text: str) -> Article:
    """Split article text into sentences worth embedding and pull out title and metadata."""
    suffix = Path(source).suffix.lower()
    if suffix in (".html", ".htm"):
        return _parse_html(source, text)
    metadata: dict[str, str] = {}
    body_start = 0
    if suffix in (".md", ".markdown"):
        body_start, metadata = _front_matter(text)
    regions = _content_regions(text, body_start)
    sentences = [s for start, end in regions for s in sentence_spans(text, start, end)]
    sentences = [_strip_markdown_heading(text, s) for s in sentences]
    footer = _FEED_FOOTER.search(text)
    if footer:
        metadata.setdefault("outlet", footer.group("outlet"))
        metadata.setdefault("url", footer.group("url"))
    title = metadata.pop("title", "") or _title_from_text(text, metadata)
    if not title and sentences:
        first = text[sentences[0].start : sentences[0].end]
        title = first if len(first) <= 90 else first[:87].rsplit(" ", 1)[0] + "…"
    title = title or Path(source).stem
    return Article(source=source, text=text, title=title, sentences=sentences, metadata=metadata)


def _strip_markdown_heading(text: str, span: Span) -> Span:
    match = re.match(r"#{1,6}\s+", text[span.start : span.end])
    return Span(span.start + match.end(), span.end) if match else span


def _front_matter(text: str) -> tuple[int, dict[str, str]]:
    match = re.match(r"---\s*\n(.*?)\n---\s*\n", text, re.DOTALL)
    if not match:
        return 0, {}
    metadata: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("title", "date", "url", "outlet", "source", "author", "published"):
            name = {"source": "outlet", "published": "date"}.get(key.strip().lower(), key.strip().lower())
            metadata[name] = value.strip().strip("\"'")
    return match.end(), metadata


def _content_regions(text: str, start: int) -> list[tuple[int, int]]:
    """Line ranges of `text` that are article content: teasers, feed footers and bare URLs left out."""
    regions: list[tuple[int, int]] = []
    in_teaser_block = False
    for line in re.finditer(r"[^\n]+", text[start:]):
        line_start, line_end = start + line.start(), start + line.end()
        content = text[line_start:line_end].strip()
        if not content:
            in_teaser_block = False
            continue
        if _READ_MORE.match(content):
            # "READ MORE: headline" is one line; a bare "READ MORE" is followed by headline lines.
            in_teaser_block = _READ_MORE.sub("", content).strip() == ""
            continue
        if in_teaser_block and _looks_like_headline(content):
            continue
        in_teaser_block = False
        if _BOILERPLATE_LINE.match(content) or (not regions and _OUTLET_LINE.match(content)):
            continue
        line_start = _skip_leading_url(text, line_start, line_end)
        regions.append((line_start, line_end))
    return regions


def _skip_leading_url(text: str, start: int, end: int) -> int:
    """Start of the prose on a line that begins with a pasted URL ("https://t.co/x?ref=tfwOn Friday, ...")."""
    match = _URL.match(text, start, end)
    if not match:
        return start
    glued = re.search(r"(?<=[a-z0-9%])[A-Z][a-z]{0,11}$", match.group(0))
    return match.start() + glued.start() if glued else match.end()


def _looks_like_headline(line: str) -> bool:
    return len(line.split()) <= 16 and not re.search(r"[.!?\"”]$", line)


def _title_from_text(text: str, metadata: dict[str, str]) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:3]
    for index, line in enumerate(lines):
        line = re.sub(r"^#{1,6}\s+", "", line)
        outlet = _OUTLET_LINE.match(line)
        if index == 0 and outlet:
            metadata.setdefault("outlet", outlet.group("outlet"))
            continue
        if _looks_like_headline(line) and not _READ_MORE.match(line):
            return line
        break
    return ""


# HTML ------------------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "article",
               "header", "footer", "blockquote", "figcaption", "title", "ul", "ol", "table", "hr"}
_SKIP_TAGS = {"script", "style", "nav", "aside", "noscript", "template", "svg", "form", "button", "iframe"}


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML page as runs of raw-file offsets, one run per text node."""

    def __init__(self, raw: str) -> None:
        super().__init__(convert_charrefs=False)
        self.raw = raw
        self.line_offsets = [0]
        for match in re.finditer("\n", raw):
            self.line_offsets.append(match.end())
        self.runs: list[tuple[int, int]] = []
        self.breaks: set[int] = set()
        self.skip_depth = 0
        self.meta: dict[str, str] = {}
        self.in_title = False
        self.in_h1 = False
        self.h1 = ""

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.line_offsets[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        if tag in _BLOCK_TAGS:
            self.breaks.add(len(self.runs))
        if tag == "title":
            self.in_title = True
        if tag == "h1":
            self.in_h1 = True
        if tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            key = (values.get("property") or values.get("name") or "").lower()
            content = html.unescape(values.get("content", ""))
            mapping = {"og:title": "title", "og:site_name": "outlet", "og:url": "url", "date": "date",
                       "article:published_time": "date", "pubdate": "date", "author": "author"}
            if key in mapping and content:
                self.meta.setdefault(mapping[key], content)
        if tag == "link":
            values = {k.lower(): (v or "") for k, v in attrs}
            if values.get("rel") == "canonical" and values.get("href"):
                self.meta.setdefault("url", values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self.skip_depth:
            self.skip_depth -= 1
        if tag in _BLOCK_TAGS:
            self.breaks.add(len(self.runs))
        if tag == "title":
            self.in_title = False
        if tag == "h1":
            self.in_h1 = False

    def handle_data(self, data: str) -> None:
        start = self._offset()
        if self.in_title:
            self.meta.setdefault("html_title", html.unescape(data).strip())
            return
        if self.skip_depth:
            return
        if self.in_h1:
            self.h1 += data
        self.runs.append((start, start + len(data)))


def _parse_html(source: str, raw: str) -> Article:
    """Sentences of an HTML article as spans of the raw file: text inside one block element at a time."""
    parser = _TextExtractor(raw)
    parser.feed(raw)
    parser.close()
    sentences: list[Span] = []
    block: list[tuple[int, int]] = []

    def flush() -> None:
        if block:
            start, end = block[0][0], block[-1][1]
            sentences.extend(_html_block_sentences(raw, start, end))
            block.clear()

    for index, run in enumerate(parser.runs):
        if index in parser.breaks:
            flush()
        block.append(run)
    flush()
    metadata = {k: v for k, v in parser.meta.items() if k != "html_title"}
    title = metadata.pop("title", "") or parser.h1.strip() or parser.meta.get("html_title", "")
    return Article(source=source, text=raw, title=title or Path(source).stem, sentences=sentences,
                   metadata=metadata)


def _html_block_sentences(raw: str, start: int, end: int) -> list[Span]:
    sentences = []
    for region_start, region_end in _content_regions_in(raw, start, end):
        sentences.extend(sentence_spans(raw, region_start, region_end))
    return [s for s in sentences if "<" not in raw[s.start : s.end] or _strip_tags(raw[s.start : s.end]).strip()]


def _content_regions_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    content = text[start:end].strip()
    if not content or _READ_MORE.match(_strip_tags(content)) or _BOILERPLATE_LINE.match(_strip_tags(content)):
        return []
    return [(start, end)]


def _strip_tags(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", fragment))


# Chunking --------------------------------------------------------------------------------------

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


# Writing to the store --------------------------------------------------------------------------

@dataclass
class IngestReport:
    """What an ingest run did, file by file."""

    ingested: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
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
    """Ingest article files into the store; unchanged files are skipped, changed ones replaced.

    Chunks of several articles are embedded together (one model call per 32 chunks of similar length) and
    written together (one Chroma call per step and per ~256 chunks, `Store.write_steps`) in batches of about
    `batch_chunks` chunks, whole articles only; a batch is written while the next one is embedded.
    One ingest at a time writes to a store: others wait on an inter-process lock (see `assistant.locking`).
    """
    files = list(dict.fromkeys(_resolve(p) for p in find_articles(paths)))
    with ingest_lock(lock_path(data_home(), str(getattr(store, "identity", "store"))), warn):
        return _ingest_files(files, store, embed_model, chunk_tokens, prune, warn, progress, max(1, batch_chunks))


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

    def twin(self, article: Article) -> str | None:
        """The source of another article holding the same text, if any."""
        return next((s for i, s in self.holders.get(article.sha256, {}).items() if i != article.article_id), None)

    def record(self, article_id: str, sha256: str, source: str) -> None:
        old = self.sha_of.get(article_id)
        if old is not None:
            self.holders.get(old, {}).pop(article_id, None)
        self.sha_of[article_id] = sha256
        self.holders.setdefault(sha256, {})[article_id] = source


class _WordPieces:
    """The chunker's token counter (all-MiniLM-L6-v2 word-pieces, as `count_minilm_tokens`) keeping the pieces it
    counted, so that the embedding model gets each chunk's ids instead of tokenizing the chunk again.

    BERT tokenization splits text at spaces before anything else, so a chunk (its sentences joined by single
    spaces) is exactly its sentences' word-pieces in order; tests/test_ingest_batching.py checks this.
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
    texts = _StoredTexts(stored)
    pieces = _WordPieces()
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
            if texts.sha_of.get(article_id_for(source)) == text_sha256(text):  # known before it is parsed
                report.unchanged.append(source)
                handled += 1
                continue
            article = parse_article(source, text)
            if not article.sentences:
                report.skipped.append((source, "no text"))
                warn(f"skipped {path}: no text")
                handled += 1
                continue
            twin = texts.twin(article)
            if twin is not None:
                report.skipped.append((source, f"same text as {twin}"))
                warn(f"skipped {path}: same text as {twin}")
                handled += 1
                continue
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
    progress(len(files), len(files), "")
    if prune:
        gone = [a for a in store.list_articles() if not Path(a.source).exists()]
        store.remove_articles(a.article_id for a in gone)
        report.removed = [a.source for a in gone]
    return report
