"""An HTML article's text as spans of the raw file: the text of each block element, outside scripts, navigation and
forms, split into sentences; title and metadata from `<meta>`, `<link rel=canonical>`, `<h1>` and `<title>`."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import NamedTuple

from assistant.corpus.boilerplate import READ_MORE, not_content
from assistant.text import Span, sentence_spans

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


class HtmlText(NamedTuple):
    """What `parse_html` finds in a page: its sentences (spans of the raw file), title ("" if none) and metadata."""

    sentences: list[Span]
    title: str
    metadata: dict[str, str]


def parse_html(raw: str) -> HtmlText:
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
    return HtmlText(sentences, title, metadata)


def _html_block_sentences(raw: str, start: int, end: int) -> list[Span]:
    sentences = []
    for region_start, region_end in _content_regions_in(raw, start, end):
        sentences.extend(sentence_spans(raw, region_start, region_end))
    return [s for s in sentences if "<" not in raw[s.start : s.end] or _strip_tags(raw[s.start : s.end]).strip()]


def _content_regions_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    content = text[start:end].strip()
    plain = _strip_tags(content)
    if not content or READ_MORE.match(plain) or not_content(plain):
        return []
    return [(start, end)]


def _strip_tags(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", fragment))
