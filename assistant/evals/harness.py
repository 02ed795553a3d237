"""The eval harness: gold sets, running systems over them, and the metrics (see evals/README.md).

Everything that scores is plain Python over the answers' JSON, so the metrics do not depend on how
the engine reaches its answers: only on `Answer.to_json()`, `Answer.retrieved` and the article files.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from assistant.text import numbers, sentence_spans

KINDS = ("answerable", "unanswerable", "conflict")
GOLD_KEYS = ("id", "question", "answers", "sources", "kind")
OPTIONAL_KEYS = ("note",)

Support = Callable[[str, Sequence[str]], bool]
Progress = Callable[[int, int, str], None]


def default_gold_path() -> Path:
    """The project's gold set for the bundled seeds."""
    from assistant.resources import seed_gold

    return seed_gold()


# Gold sets -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoldItem:
    """One gold question: acceptable answers, the articles that support them, and its kind."""

    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]
    kind: str


def _string_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_gold_line(line: str, where: str) -> GoldItem:
    """One JSONL line as a `GoldItem`; `where` ("file:line") starts every error message."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = [k for k in GOLD_KEYS if k not in data]
    if missing:
        raise UserError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    unknown = sorted(set(data) - set(GOLD_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise UserError(f"{where}: unknown key {', '.join(repr(k) for k in unknown)} "
                        f"(expected {', '.join(GOLD_KEYS)})")
    for key in ("id", "question"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise UserError(f"{where}: '{key}' must be a non-empty string")
    kind = data["kind"]
    if kind not in KINDS:
        raise UserError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    answers = _string_list(data["answers"], "answers", where)
    sources = _string_list(data["sources"], "sources", where)
    if kind != "unanswerable" and not answers:
        raise UserError(f"{where}: an {kind} question needs at least one answer")
    if kind == "conflict" and len(conflict_sides(answers)) < 2:
        raise UserError(f"{where}: a conflict question needs at least two different answers (its sides)")
    if kind == "unanswerable" and answers:
        raise UserError(f"{where}: an unanswerable question must have no answers")
    return GoldItem(data["id"].strip(), data["question"].strip(), answers, sources, kind)


def load_gold(path: Path) -> list[GoldItem]:
    """Read and validate a gold JSONL file; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"no such gold file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the gold file {path}: {exc}") from None
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        item = parse_gold_line(line, where)
        if item.id in seen:
            raise UserError(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise UserError(f"{path}: no questions in the gold file")
    return items


def select(items: Sequence[GoldItem], ids: Iterable[str] | None = None, limit: int | None = None) -> list[GoldItem]:
    """The questions named by `ids` (in file order) and at most `limit` of them."""
    chosen = list(items)
    if ids:
        wanted = [i.strip() for i in ids if i.strip()]
        known = {item.id for item in items}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise UserError(f"unknown question id {', '.join(unknown)} (not in the gold file)")
        chosen = [item for item in chosen if item.id in set(wanted)]
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


# Answers as the systems give them -----------------------------------------------------------

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
    """Whether `text` says `value` as whole words ("7 guards" mentions "seven")."""
    wanted = canonical(value)
    return bool(wanted) and f" {wanted} " in f" {canonical(text)} "


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
        "attempted": len(attempted),
        "abstained_answerable": sum(s.abstained for s in answerable),
        "citations": citations,
        "errors": sum(s.error is not None for s in scores),
        "latency_median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p95_ms": percentile(latencies, 95),
        "tokens_total": sum(tokens) if tokens else None,
        "tokens_mean": round(sum(tokens) / len(tokens), 1) if tokens else None,
    }


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


# Running ---------------------------------------------------------------------------------------

class TokenMeter:
    """Counts the tokens LLM providers report, through LlamaIndex's instrumentation events."""

    def __init__(self) -> None:
        self.total = 0
        self.reported = False
        self._handler: Any = None

    def add(self, response: Any) -> None:
        usage = _usage(response)
        if usage is not None:
            self.total += usage
            self.reported = True

    def take(self) -> int | None:
        """Tokens since the last call, or None when the provider reported none."""
        value = self.total if self.reported else None
        self.total, self.reported = 0, False
        return value

    def __enter__(self) -> TokenMeter:
        from llama_index.core.instrumentation import get_dispatcher
        from llama_index.core.instrumentation.event_handlers import BaseEventHandler

        meter = self

        class _Handler(BaseEventHandler):
            def handle(self, event: Any, **kwargs: Any) -> None:
                if type(event).__name__ in ("LLMChatEndEvent", "LLMCompletionEndEvent"):
                    meter.add(getattr(event, "response", None))

        self._handler = _Handler()
        get_dispatcher().add_event_handler(self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        from llama_index.core.instrumentation import get_dispatcher

        handlers = get_dispatcher().event_handlers
        if self._handler in handlers:
            handlers.remove(self._handler)


def _usage(response: Any) -> int | None:
    """Total tokens from a LlamaIndex chat/completion response, when the provider put them there."""
    if response is None:
        return None
    extra = getattr(response, "additional_kwargs", None) or {}
    if "total_tokens" in extra:
        return int(extra["total_tokens"])
    if "prompt_tokens" in extra or "completion_tokens" in extra:
        return int(extra.get("prompt_tokens", 0)) + int(extra.get("completion_tokens", 0))
    raw = getattr(response, "raw", None)
    usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
    if usage is None:
        return None
    total = usage.get("total_tokens") if isinstance(usage, dict) else getattr(usage, "total_tokens", None)
    return int(total) if total else None


def ask_ours(engine: Any, question: str, top_k: int | None, meter: TokenMeter | None = None) -> SystemAnswer:
    """Our engine's answer as a `SystemAnswer`."""
    started = time.perf_counter()
    answer = engine.ask(question, top_k=top_k)
    latency = (time.perf_counter() - started) * 1000
    retrieved = [c.source for c in getattr(answer, "retrieved", [])]
    return from_engine_json(answer.to_json(), retrieved, latency, meter.take() if meter else None)


def failed_answer(system: str, error: BaseException, latency_ms: float) -> SystemAnswer:
    message = f"{type(error).__name__}: {error}".splitlines()[0][:300]
    return SystemAnswer(system, "", False, [], [], [], latency_ms, error=message)


@dataclass
class EvalResult:
    """Scores of every system on every selected question, plus how the run was set up."""

    items: list[GoldItem]
    scores: dict[str, list[QuestionScore]]
    meta: dict[str, Any]

    def summary(self) -> dict[str, dict[str, Any]]:
        return {system: totals(scores) for system, scores in self.scores.items()}

    def to_json(self) -> dict[str, Any]:
        """The report.json document."""
        return {
            "meta": self.meta,
            "totals": self.summary(),
            "by_kind": {system: by_kind(scores) for system, scores in self.scores.items()},
            "questions": [
                {**asdict(item), "results": {system: asdict(scores[i]) for system, scores in self.scores.items()}}
                for i, item in enumerate(self.items)
            ],
        }


def run_eval(items: Sequence[GoldItem], systems: dict[str, Callable[[str], SystemAnswer]], supports: Support,
             judge: Support | None = None, progress: Progress | None = None,
             meta: dict[str, Any] | None = None) -> EvalResult:
    """Ask every system every question and score the answers; a failed question is scored as wrong."""
    texts = ArticleTexts()
    scores: dict[str, list[QuestionScore]] = {name: [] for name in systems}
    total = len(items) * len(systems)
    done = 0
    for item in items:
        for name, ask in systems.items():
            if progress:
                progress(done, total, f"{name} {item.id}")
            started = time.perf_counter()
            try:
                answer = ask(item.question)
            except UserError:
                raise  # a problem for the user (model server down, bad model name): stop the run
            except Exception as exc:  # one broken question should not hide the others' results
                answer = failed_answer(name, exc, (time.perf_counter() - started) * 1000)
            scores[name].append(score(item, answer, supports, texts, judge))
            done += 1
    if progress:
        progress(total, total, "")
    return EvalResult(list(items), scores, dict(meta or {}))
