"""Answers as the systems give them (our engine's JSON, or free text with [n] markers), and matching them against
gold values: numbers as words or digits, case, punctuation, possessives and markers ignored."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.text import numbers, sentence_spans


@dataclass
class Quote:
    """A citation: the quoted text and where it claims to come from (offsets may be unknown)."""

    n: int
    source: str
    quote: str
    start: int | None = None
    end: int | None = None


@dataclass
class Sentence:
    text: str
    citations: list[int]


@dataclass
class SystemAnswer:
    """One system's answer to one question, in the shape the metrics need."""

    system: str
    answer: str
    abstained: bool
    sentences: list[Sentence]
    citations: list[Quote]
    retrieved: list[str]
    latency_ms: float
    tokens: int | None = None
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    confidence: float | None = None
    features: dict[str, float] = field(default_factory=dict)  # what our engine computed `confidence` from

    def quotes_for(self, sentence: Sentence) -> list[Quote]:
        by_n = {c.n: c for c in self.citations}
        return [by_n[n] for n in sentence.citations if n in by_n]


def from_engine_json(data: dict[str, Any], retrieved: Sequence[str], latency_ms: float,
                     tokens: int | None = None, system: str = "ours") -> SystemAnswer:
    """Our engine's `Answer.to_json()` (plus its retrieved sources) as a `SystemAnswer`."""
    return SystemAnswer(
        system=system,
        answer=str(data.get("answer", "")),
        abstained=bool(data.get("abstained")),
        sentences=[Sentence(str(s["text"]), [int(n) for n in s.get("citations", [])])
                   for s in data.get("sentences", [])],
        citations=[Quote(int(c["n"]), str(c["source"]), str(c["quote"]), c.get("start"), c.get("end"))
                   for c in data.get("citations", [])],
        retrieved=list(retrieved),
        latency_ms=latency_ms,
        tokens=tokens,
        conflicts=list(data.get("conflicts", [])),
        confidence=float(data["confidence"]) if data.get("confidence") is not None else None,
    )


_MARKER = re.compile(r"\[\s*(?:source\s*)?(\d+(?:\s*(?:,|;|-|–|and)\s*(?:source\s*)?\d+)*)\s*\]", re.IGNORECASE)


def marker_numbers(text: str) -> list[int]:
    """The source numbers in "[1]", "[1, 3]", "[2-4]", "[Source 2]" markers, in order."""
    found: list[int] = []
    for match in _MARKER.finditer(text):
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1)):
            part = re.sub(r"(?i)source\s*", "", part)
            bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x.strip().isdigit()]
            if len(bounds) == 2 and bounds[0] <= bounds[1]:
                found.extend(range(bounds[0], min(bounds[1], bounds[0] + 20) + 1))
            elif bounds:
                found.append(bounds[0])
    return list(dict.fromkeys(found))


def strip_markers(text: str) -> str:
    text = _MARKER.sub("", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()


def split_cited_sentences(text: str) -> list[Sentence]:
    """Sentences of a free-text answer with their [n] markers; a marker after the full stop belongs before it."""
    out: list[Sentence] = []
    for span in sentence_spans(text):
        piece = text[span.start : span.end]
        lead = re.match(r"^(?:\s*\[[^\]]{1,20}\])+", piece)
        if lead and out:
            out[-1].citations.extend(n for n in marker_numbers(lead.group(0)) if n not in out[-1].citations)
            piece = piece[lead.end():]
        body = strip_markers(piece)
        if not re.search(r"[A-Za-z0-9]", body):
            continue
        out.append(Sentence(body, marker_numbers(piece)))
    return out


_ABSTAIN = re.compile(
    r"\b(?:(?:do|does|did)(?: not|n't) (?:say|mention|specify|provide|contain|state|include|know)"
    r"|not (?:mentioned|stated|specified|provided|available|known|given|clear from)"
    r"|no (?:information|mention|details?)|none of the (?:sources|articles)|(?:cannot|can't|unable to) "
    r"(?:be )?(?:determine|determined|answer|find|say)|not enough information|insufficient information"
    r"|there is no (?:source|article)|i (?:do not|don't) know)\b",
    re.IGNORECASE,
)


def looks_abstained(answer: str) -> bool:
    """Whether a free-text answer declines: empty, or its first sentence says the sources do not tell."""
    first = sentence_spans(answer)
    if not first:
        return True
    return bool(_ABSTAIN.search(answer[first[0].start : first[0].end]))


def failed_answer(system: str, error: BaseException, latency_ms: float) -> SystemAnswer:
    message = f"{type(error).__name__}: {error}".splitlines()[0][:300]
    return SystemAnswer(system, "", False, [], [], [], latency_ms, error=message)


# Matching answers ------------------------------------------------------------------------------

def canonical(text: str) -> str:
    """Lower-case words with numbers as digits ("Seven" -> "7"), markers, punctuation and possessives gone."""
    text = strip_markers(text)
    for mention in reversed(numbers(text)):
        value = mention.value
        digits = str(int(value)) if value == int(value) else str(value)
        text = text[: mention.start] + digits + text[mention.end :]
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"'s\b", "", text).replace("'", "")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def mentions(text: str, value: str) -> bool:
    """Whether `text` says `value` as whole words ("7 guards" mentions "seven"); a value that lists several
    ("Sweden and Finland") is said when each of them is, in any order ("Finland and Sweden"). Articles do not
    count, as in SQuAD's answer normalisation: "Last Supper" says "The Last Supper"."""
    wanted = _without_articles(canonical(value))
    said = f" {_without_articles(canonical(text))} "
    if not wanted or f" {wanted} " in said:
        return bool(wanted)
    parts = wanted.split(" and ")
    return len(parts) > 1 and len(set(parts)) == len(parts) and all(f" {p} " in said for p in parts)


def _without_articles(canonical_text: str) -> str:
    return " ".join(w for w in canonical_text.split() if w not in ("a", "an", "the"))


def matches_any(text: str, answers: Iterable[str]) -> bool:
    return any(mentions(text, a) for a in answers)


def conflict_sides(answers: Iterable[str]) -> list[str]:
    """The distinct values of a conflict question's answers ("seven" and "7" are one side)."""
    sides: dict[str, str] = {}
    for answer in answers:
        sides.setdefault(canonical(answer), answer)
    return [v for k, v in sides.items() if k]


def source_matches(path: str, gold: str) -> bool:
    """A cited or retrieved path is a gold source when it is that file (by name or trailing path)."""
    path, gold = path.replace("\\", "/"), gold.replace("\\", "/").lstrip("./")
    return path == gold or path.endswith("/" + gold)


def source_recall(found: Iterable[str], gold: Sequence[str]) -> float | None:
    if not gold:
        return None
    found = list(found)
    return sum(1 for g in gold if any(source_matches(f, g) for f in found)) / len(gold)
