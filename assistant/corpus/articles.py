"""Articles: finding and reading article files (text, Markdown, HTML), and parsing them into the sentences worth
embedding, a title and metadata, with offsets that always point into the file's own text."""

from __future__ import annotations

import errno
import hashlib
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.corpus.boilerplate import FEED_FOOTER, OUTLET_LINE, READ_MORE, content_regions, looks_like_headline
from assistant.corpus.dates import masthead_day, published_day
from assistant.corpus.html_text import parse_html
from assistant.errors import UserError
from assistant.text import Span, sentence_spans

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
# What `parse_article` makes of a text: raised whenever that changes for some text (boilerplate rules, date lines),
# so that the next ingest parses and embeds again the stored articles an older version parsed, though their
# files did not change. 2: publication days and date lines; media-player, photo-gallery and shopping lines. 3:
# newsletter plugs. 4: masthead lines ("The Ledger - Friday, October 30, 2026").
PARSER_VERSION = "4"
MAX_FILE_BYTES = 20 * 1024 * 1024


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
        page = parse_html(text)
        return Article(source=source, text=text, title=page.title or Path(source).stem, sentences=page.sentences,
                       metadata=_with_day(page.metadata))
    metadata: dict[str, str] = {}
    body_start = 0
    if suffix in (".md", ".markdown"):
        body_start, metadata = _front_matter(text)
    regions = content_regions(text, body_start)
    dated = _date_line(text, regions)
    if dated is not None:  # a date line under the title is when, not what: metadata, not a sentence
        metadata.setdefault("date", dated[1])
        regions.remove(dated[0])
    sentences = [s for start, end in regions for s in sentence_spans(text, start, end)]
    sentences = [_strip_markdown_heading(text, s) for s in sentences]
    footer = FEED_FOOTER.search(text)
    if footer:
        metadata.setdefault("outlet", footer.group("outlet"))
        metadata.setdefault("url", footer.group("url"))
    title = metadata.pop("title", "") or _title_from_text(text, metadata)
    if not title and sentences:
        first = text[sentences[0].start : sentences[0].end]
        title = first if len(first) <= 90 else first[:87].rsplit(" ", 1)[0] + "…"
    title = title or Path(source).stem
    return Article(source=source, text=text, title=title, sentences=sentences, metadata=_with_day(metadata))


DATE_LINES = 3  # the first lines of an article in which a date line or a masthead gives its publication date


def _date_line(text: str, regions: list[tuple[int, int]]) -> tuple[tuple[int, int], str] | None:
    """The region among the first `DATE_LINES` that is only a date ("2022-07-08", "Published: Jul 8, 2022") or
    an outlet's masthead with the date ("Sportsdesk Daily - 15 November 2026, 09:12"), with that date as an ISO
    day."""
    for region in regions[:DATE_LINES]:
        line = text[region[0] : region[1]]
        day = published_day(line) or masthead_day(line)
        if day:
            return region, day
    return None


def _with_day(metadata: dict[str, str]) -> dict[str, str]:
    """`metadata` with its `date` as an ISO day when it names one ("Jul 8, 2022" -> "2022-07-08")."""
    day = published_day(metadata["date"]) if metadata.get("date") else None
    return {**metadata, "date": day} if day else metadata


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


def _title_from_text(text: str, metadata: dict[str, str]) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:3]
    for index, line in enumerate(lines):
        line = re.sub(r"^#{1,6}\s+", "", line)
        outlet = OUTLET_LINE.match(line)
        if index == 0 and outlet:
            metadata.setdefault("outlet", outlet.group("outlet"))
            continue
        if looks_like_headline(line) and not READ_MORE.match(line):
            return line
        break
    return ""
