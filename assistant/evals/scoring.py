"""The metrics (see evals/README.md): citation support (ALCE), verbatim quotes, gold-article recall, conflict
surfacing, per question and in totals, and the floors `--min-*` checks.

Everything that scores is plain Python over the answers' JSON, so the metrics do not depend on how the engine
reaches its answers: only on `Answer.to_json()`, `Answer.retrieved` and the article files.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from assistant.evals.answers import (
    Quote,
    SystemAnswer,
    conflict_sides,
    matches_any,
    mentions,
    source_recall,
    strip_markers,
)
from assistant.evals.gold import KINDS, GoldItem

Support = Callable[[str, Sequence[str]], bool]


# Citation checks -------------------------------------------------------------------------------

_ATTRIBUTION = re.compile(
    r"^(?:(?:the|one|an?|both|some|several|other)\s+)?(?:articles?|sources?|reports?)(?:\s+\d+)?\s+"
    r"(?:differ|disagree|vary|say|says|said|state|states|stated|report|reports|reported|note|notes|mention|mentions)"
    r"(?:\s+that)?\s*[:,]?\s*"
    r"|^according to (?:the )?(?:articles?|sources?|reports?)(?:\s+\d+)?\s*,?\s*",
    re.IGNORECASE,
)


def claim_of(sentence: str) -> str:
    """The claim a sentence makes: its markers and an "according to the sources"-style lead removed."""
    text = strip_markers(sentence)
    stripped = _ATTRIBUTION.sub("", text, count=1).strip()
    return stripped if re.search(r"[A-Za-z0-9]", stripped) else text


def verifier_support(similarity: Callable[[str, Sequence[str]], list[float]] | None) -> Support:
    """The engine's own verifier: the quotes together, or any one of them, support the claim."""
    from assistant.answer import check_support

    def supports(claim: str, quotes: Sequence[str]) -> bool:
        if not quotes:
            return False
        if check_support(claim, list(quotes), similarity).ok:
            return True
        return len(quotes) > 1 and any(check_support(claim, [q], similarity).ok for q in quotes)

    return supports


@dataclass
class CitationScore:
    """ALCE citation recall and precision of one answer."""

    recall: float | None
    precision: float | None
    sentences: int
    supported: int
    citations: int
    precise: int


def alce_citations(answer: SystemAnswer, supports: Support) -> CitationScore:
    """ALCE: a sentence counts when its cited quotes together support it; a citation is precise unless it
    supports nothing alone while the others already support the sentence (or the sentence is unsupported).
    """
    if answer.abstained or not answer.sentences:
        return CitationScore(None, None, 0, 0, 0, 0)
    supported = precise = total = 0
    for sentence in answer.sentences:
        quotes = answer.quotes_for(sentence)
        claim = claim_of(sentence.text)
        total += len(quotes)
        if not quotes:
            continue
        joint = supports(claim, [q.quote for q in quotes])
        supported += joint
        if not joint:
            continue
        if len(quotes) == 1:
            precise += 1
            continue
        for i, quote in enumerate(quotes):
            alone = supports(claim, [quote.quote])
            others = [q.quote for j, q in enumerate(quotes) if j != i]
            if alone or not supports(claim, others):
                precise += 1
    n = len(answer.sentences)
    return CitationScore(supported / n, precise / total if total else 0.0, n, supported, total, precise)


class ArticleTexts:
    """Article files read once, decoded as ingestion decodes them, to check quotes against."""

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}

    def text(self, source: str) -> str | None:
        if source not in self._texts:
            try:
                raw = Path(source).read_bytes()
            except OSError:
                self._texts[source] = None
            else:
                try:
                    self._texts[source] = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
                except UnicodeDecodeError:
                    self._texts[source] = raw.decode("latin-1")
        return self._texts[source]

    def verbatim(self, quote: Quote) -> bool:
        """The quote is the file's text at its offsets; without offsets, it must occur in the file as is."""
        text = self.text(quote.source)
        if text is None or not quote.quote:
            return False
        if quote.start is not None and quote.end is not None:
            return 0 <= quote.start <= quote.end <= len(text) and text[quote.start : quote.end] == quote.quote
        return quote.quote in text


JUDGE_PROMPT = (
    "You check citations. Premise (quoted from news articles):\n{premise}\n\nClaim: {claim}\n\n"
    "Does the premise fully support the claim? Answer with one word: yes or no."
)


def llm_judge(llm: Any) -> Support:
    """An LLM (a LlamaIndex LLM) as the support judge, answers cached per claim and quotes."""
    cache: dict[tuple[str, tuple[str, ...]], bool] = {}

    def supports(claim: str, quotes: Sequence[str]) -> bool:
        if not quotes:
            return False
        key = (claim, tuple(quotes))
        if key not in cache:
            premise = "\n".join(f"- {q}" for q in quotes)
            try:
                reply = llm.complete(JUDGE_PROMPT.format(premise=premise, claim=claim)).text
            except UserError:
                raise
            except Exception as exc:
                from assistant.runtime import translate_llm_error

                raise translate_llm_error(exc) from None
            cache[key] = bool(re.match(r"\W*yes\b", reply.strip(), re.IGNORECASE))
        return cache[key]

    return supports


# Scoring one answer ----------------------------------------------------------------------------

@dataclass
class QuestionScore:
    """Every metric for one system on one question (None where a metric does not apply)."""

    id: str
    kind: str
    system: str
    answer: str
    abstained: bool
    attempted: bool
    correct: bool | None  # the answer matches a gold answer (answerable and conflict kinds)
    right: bool  # correct, or abstained on an unanswerable question
    citation_recall: float | None
    citation_precision: float | None
    judge_recall: float | None
    judge_precision: float | None
    citations: int
    verbatim: int
    verbatim_rate: float | None
    cited_source_recall: float | None
    retrieval_recall: float | None
    conflict_surfaced: bool | None
    latency_ms: float
    tokens: int | None
    error: str | None = None
    quotes: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None
    features: dict[str, float] = field(default_factory=dict)


def conflict_surfaced(answer: SystemAnswer, sides: Sequence[str]) -> bool:
    """Every side is stated in a sentence that cites a quote stating it."""
    def shown(side: str) -> bool:
        return any(mentions(s.text, side) and any(mentions(q.quote, side) for q in answer.quotes_for(s))
                   for s in answer.sentences)

    return not answer.abstained and all(shown(side) for side in sides)


def score(item: GoldItem, answer: SystemAnswer, supports: Support, texts: ArticleTexts,
          judge: Support | None = None) -> QuestionScore:
    """All the metrics for one answer to one gold question."""
    attempted = not answer.abstained and answer.error is None
    correct = None if item.kind == "unanswerable" else attempted and matches_any(answer.answer, item.answers)
    right = bool(correct) if item.kind != "unanswerable" else answer.abstained and answer.error is None
    cites = alce_citations(answer, supports) if attempted else CitationScore(None, None, 0, 0, 0, 0)
    judged = alce_citations(answer, judge) if attempted and judge else None
    checked = [(q, texts.verbatim(q)) for q in answer.citations] if attempted else []
    verbatim = sum(ok for _, ok in checked)
    return QuestionScore(
        id=item.id, kind=item.kind, system=answer.system, answer=answer.answer, abstained=answer.abstained,
        attempted=attempted, correct=correct, right=right,
        citation_recall=cites.recall, citation_precision=cites.precision,
        judge_recall=judged.recall if judged else None, judge_precision=judged.precision if judged else None,
        citations=len(checked), verbatim=verbatim, verbatim_rate=verbatim / len(checked) if checked else None,
        cited_source_recall=(source_recall((q.source for q in answer.citations), item.sources)
                             if attempted and item.kind != "unanswerable" else None),
        retrieval_recall=source_recall(answer.retrieved, item.sources),
        conflict_surfaced=conflict_surfaced(answer, conflict_sides(item.answers)) if item.kind == "conflict" else None,
        latency_ms=round(answer.latency_ms, 1), tokens=answer.tokens, error=answer.error,
        quotes=[{"n": q.n, "source": Path(q.source).name, "quote": q.quote, "start": q.start, "end": q.end,
                 "verbatim": ok} for q, ok in checked],
        confidence=answer.confidence, features=answer.features,
    )


# Totals ----------------------------------------------------------------------------------------

def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def _rate(flags: Iterable[bool | None]) -> float | None:
    kept = [bool(f) for f in flags if f is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 1)


def totals(scores: Sequence[QuestionScore]) -> dict[str, Any]:
    """The metrics over a set of question scores (see evals/README.md for each definition)."""
    answerable = [s for s in scores if s.kind != "unanswerable"]
    unanswerable = [s for s in scores if s.kind == "unanswerable"]
    attempted = [s for s in scores if s.attempted]
    citations = sum(s.citations for s in scores)
    latencies = [s.latency_ms for s in scores]
    tokens = [s.tokens for s in scores if s.tokens is not None]
    return {
        "questions": len(scores),
        "right_rate": _rate(s.right for s in scores),
        "answer_accuracy": _rate(s.correct for s in answerable),
        "abstention_accuracy": _rate(s.abstained for s in unanswerable),
        "precision": round(sum(bool(s.correct) for s in attempted) / len(attempted), 4) if attempted else None,
        "citation_recall": _mean(s.citation_recall for s in attempted),
        "citation_precision": _mean(s.citation_precision for s in attempted),
        "judge_citation_recall": _mean(s.judge_recall for s in attempted),
        "judge_citation_precision": _mean(s.judge_precision for s in attempted),
        "verbatim_rate": round(sum(s.verbatim for s in scores) / citations, 4) if citations else None,
        "cited_source_recall": _mean(s.cited_source_recall for s in scores),
        "retrieval_recall": _mean(s.retrieval_recall for s in scores),
        "conflict_surfacing": _rate(s.conflict_surfaced for s in scores),
        "calibration_error": calibration_error(attempted),
        "attempted": len(attempted),
        "abstained_answerable": sum(s.abstained for s in answerable),
        "citations": citations,
        "errors": sum(s.error is not None for s in scores),
        "latency_median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p95_ms": percentile(latencies, 95),
        "tokens_total": sum(tokens) if tokens else None,
        "tokens_mean": round(sum(tokens) / len(tokens), 1) if tokens else None,
    }


def calibration_error(answered: Sequence[QuestionScore]) -> float | None:
    """Expected calibration error of the answers given (`expected_calibration_error`); None when no answer has a
    confidence."""
    rated = [(s.confidence, bool(s.correct)) for s in answered if s.confidence is not None]
    return round(expected_calibration_error(rated), 4) if rated else None


def expected_calibration_error(rated: Sequence[tuple[float, bool]], bins: int = 10) -> float:
    """In `bins` equal confidence bins, the gap between the mean confidence and the share right, weighted by the
    bin's size (confidence 1.0 falls in the last bin)."""
    gap = 0.0
    for b in range(bins):
        members = [(c, ok) for c, ok in rated if b / bins <= c < (b + 1) / bins or (b == bins - 1 and c == 1.0)]
        if members:
            gap += len(members) * abs(sum(c for c, _ in members) / len(members) - sum(ok for _, ok in members) /
                                      len(members))
    return gap / len(rated)


# The metrics that `--min-*` floors and the reports' charts use, with their labels.
HEADLINE = {
    "answer_accuracy": "answer accuracy",
    "abstention_accuracy": "abstention accuracy",
    "precision": "precision (right/attempted)",
    "citation_recall": "citation recall",
    "citation_precision": "citation precision",
    "verbatim_rate": "verbatim rate",
    "cited_source_recall": "gold-article recall (citations)",
    "retrieval_recall": "retrieval recall@k",
    "conflict_surfacing": "conflict surfacing",
}


def by_kind(scores: Sequence[QuestionScore]) -> dict[str, dict[str, Any]]:
    """Totals per question kind, for the kinds present."""
    present = {s.kind for s in scores}
    return {kind: totals([s for s in scores if s.kind == kind]) for kind in KINDS if kind in present}


def check_floors(summary: dict[str, Any], floors: dict[str, float | None]) -> tuple[list[str], list[str]]:
    """(failures, skipped) for the metric floors given; a metric with no value (no such questions) is skipped."""
    failures, skipped = [], []
    for metric, floor in floors.items():
        if floor is None:
            continue
        value = summary.get(metric)
        if value is None:
            skipped.append(f"{HEADLINE.get(metric, metric)}: not measured on these questions, "
                           f"floor {floor} not checked")
        elif value < floor:
            failures.append(f"{HEADLINE.get(metric, metric)} {value:.3f} < {floor}")
    return failures, skipped
