"""Answers and articles as the chat shows them: Markdown with every character of the text escaped, or rich `Text`
(never markup), since article and answer text is data that may look like markup."""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text

from assistant.answer import Answer, Citation

QUOTE_STYLE = "bold black on yellow"
ANSWER_MARK = "**"  # the Markdown around the answer's spans in a sentence (bold)
CONTEXT_CHARS = 100
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&$%^=:\"'])")


def escape_markdown(text: str) -> str:
    """`text` as Markdown that renders literally (no emphasis, links, HTML or entities)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _escaped(text: str) -> str:
    """A piece of a sentence escaped as `escape_markdown` does, keeping one space at either end."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def marked_markdown(text: str, marks: list[tuple[int, int]]) -> str:
    """The sentence as literal Markdown with its answer spans (`AnswerSentence.marks`) in bold: "the Eiffel Tower in
    Paris is ..." shows which words answer "Which landmark ...?"."""
    out, at = [], 0
    for start, end in sorted(marks):
        if start < at or end > len(text) or not text[start:end].strip():
            continue  # overlapping or out of place: left unmarked
        out += [_escaped(text[at:start]), f"{ANSWER_MARK}{_escaped(text[start:end])}{ANSWER_MARK}"]
        at = end
    out.append(_escaped(text[at:]))
    return "".join(out).strip()


def _cite_links(numbers: list[int]) -> str:
    return "".join(f"[\\[{n}\\]](cite:{n})" for n in numbers)


def answer_markdown(answer: Answer) -> str:
    """The verified answer as Markdown: [n] markers link to citations, unsupported sentences and
    conflicts are marked."""
    if answer.abstained:
        return f"*{escape_markdown(answer.answer)}*"
    parts = []
    for sentence in answer.sentences:
        if answer.conflicts and sentence.text.startswith("The articles differ"):
            continue  # shown as a conflict block below
        if sentence.supported and sentence.citations:
            parts.append(f"{marked_markdown(sentence.text, sentence.marks)} {_cite_links(sentence.citations)}")
        else:
            parts.append(f"⚠ *{escape_markdown(sentence.text)}* **\\[unsupported\\]**")
    blocks = [" ".join(parts)] if parts else []
    for conflict in answer.conflicts:
        lines = [f"> **⚖ Conflict — the articles differ:** {escape_markdown(conflict.about)}", ">"]
        for claim in conflict.claims:
            lines.append(f"> - “{escape_markdown(claim.value)}” {_cite_links(sorted(claim.citations))}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _flat(text: str) -> str:
    return " ".join(text.split())


def quote_in_context(article: str | None, citation: Citation, chars: int = CONTEXT_CHARS) -> Text:
    """The quote highlighted between a little of the text before and after it (all literal)."""
    out = Text()
    if article is None or article[citation.start : citation.end] != citation.quote:
        out.append(_flat(citation.quote), style=QUOTE_STYLE)
        return out
    before = _flat(article[max(0, citation.start - chars) : citation.start])
    after = _flat(article[citation.end : citation.end + chars])
    if citation.start > chars and " " in before:
        before = "…" + before.split(" ", 1)[1]
    if citation.end + chars < len(article) and " " in after:
        after = after.rsplit(" ", 1)[0] + "…"
    out.append(before + (" " if before and article[citation.start - 1].isspace() else ""), style="dim")
    out.append(_flat(citation.quote), style=QUOTE_STYLE)
    out.append((" " if after and article[citation.end : citation.end + 1].isspace() else "") + after, style="dim")
    return out


def citation_heading(citation: Citation) -> Text:
    out = Text()
    out.append(f"[{citation.n}] ", style="bold")
    out.append(citation.title or Path(citation.source).name, style="bold")
    out.append(f"  {Path(citation.source).name}", style="dim")
    return out
