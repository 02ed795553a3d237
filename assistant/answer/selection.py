"""Answer selection: which span of the asked type the retrieved sentences support best.

Gates applied sentence by sentence (is this sentence relevant enough, does it hold a span?) answered with the
first sentence that passed, whatever span it held: on RealTime QA's 2022 weeks most wrong answers were such
sentences. Here every span of the asked type in the relevant sentences is a candidate, scored by the support
it gathers:

- how relevant the sentences holding it are (the question's terms they cover, embedding similarity);
- how well it stands where the question's slot would in a statement of the answer (`alignment`): "Which
  airline announced a deal to buy Spirit?" is answered by "[X] announced a deal to buy Spirit", with the
  question's words close after the span; "What year did it debut?" by "it debuted in [X]", with them before.
  A possessive ("Kadhimi's guards") counts at `KIND_MISMATCH` unless the question asks "whose";
- whether it is what the question asks for: "Which national park ...?" wants a park, so a span that holds
  the noun, that the retrieved text puts next to it ("the Ivy League school Dartmouth"), or that ISO 3166 knows
  as a country or state (`gazetteer`); for "where", a place: after "in", "at", "on" ..., a country or state,
  or a name the retrieved text writes after "in" or "at", else it is no candidate. A span not shown to be of
  the asked kind keeps `KIND_MISMATCH` of its score. A number must be of the asked unit (a percentage, a sum
  of money, a count of the counted thing):
  "How many embassies ...?" is not answered by "seven guards";
- how many articles give it.

A name written shorter inside a longer one ("Yellowstone" in "Yellowstone National Park") is one candidate.

Without candidates (no span asked, or none found), `direct_answer` picks the source sentence that holds a value of
the asked kind and most of the question's terms, if one does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.candidates import (
    NAME,
    NUMBER,
    WHEN,
    YEAR,
    Span,
    answer_spans,
    asked_clause,
    asked_noun,
    asks,
    past_form,
    span_key,
)
from assistant.answer.evidence import Evidence
from assistant.answer.gazetteer import KIND_OF_NOUN, is_kind
from assistant.answer.question import (
    Question,
    analyse_question,
    asked_spans,
    holds_names,
    of_asked_unit,
    speaker_named,
)
from assistant.answer.terms import canonical_terms
from assistant.answer.values import has_answer_value, normalize_value, value_near_terms
from assistant.text import STOPWORDS, stem, words

KIND_MISMATCH = 0.5
DIRECT_MIN_LEXICAL = 0.6  # of the question's terms a direct answer holds (typed questions)
DIRECT_MIN_LEXICAL_OTHER = 0.75
OTHER_ARTICLES = 0.25  # each other article giving the candidate adds this share of its best occurrence there
MAX_OTHER_ARTICLES = 2
NEXT_TO = 3  # words between "a" / "the" and the asked noun in an apposition ("Harlow, the oldest school")
NEAR_REACH = 10  # words between a span and a question word at which nearness reaches 0
ALIGN_REACH = 12  # words either side of a span in which the question's words count for its alignment
OTHER_SIDE = 0.5  # a question word on the unexpected side of the span counts half ("was bought by X")

_AUXILIARY = frozenset("did does do was were is are has have had will would can could should may might".split())  # noqa: SIM905
_SUBJECT = re.compile(r"^(?:it|he|she|they|we|you|i|this|that|these|those|the|a|an|his|her|its|their|[A-Z0-9])")
_WH_WORD = re.compile(r"\b(?:who|whom|whose|which|what|when|where|how)\b", re.IGNORECASE)
_LOCATIVE = frozenset({"in", "at", "on", "near", "outside", "from", "to", "into", "across"})


@dataclass(frozen=True)
class Slot:
    """The question's words by where a statement of the answer puts them: before the answer, after it, or
    either (the earlier sentences' words)."""

    before: frozenset[str]
    after: frozenset[str]
    either: frozenset[str]


def question_slot(question: str, atype: str = "") -> Slot:
    """Where the answer stands among the question's words. In "Which airline announced a deal?" the answer is
    the subject ("[X] announced a deal"); after an auxiliary and its subject ("What year did it debut?") it
    is the object ("it debuted in [X]"): the words after the wh-phrase come before the answer, as they do
    for a date."""
    clause = asked_clause(question)
    if question.rstrip().endswith(":"):  # a gap to fill: "the top prize ballooned to:" is "... ballooned to [X]"
        lead = question[: len(question.rstrip()) - len(clause)]
        return Slot(before=frozenset(canonical_terms(clause)), after=frozenset(),
                    either=frozenset(canonical_terms(lead)))
    earlier = question[: len(question.rstrip()) - len(clause)] if question.rstrip().endswith(clause) else ""
    sentence_start = max(earlier.rfind(". "), earlier.rfind("? "), earlier.rfind("! ")) + 1
    lead, context = earlier[sentence_start:], earlier[:sentence_start]
    wh = _WH_WORD.match(clause)
    rest = clause[wh.end() :] if wh else clause
    tokens = re.findall(r"[\w'’-]+", rest)
    skip = 0  # past the wh-phrase's noun run ("which Ivy League school", "how many")
    for token in tokens:
        low = token.lower()
        if low in _AUXILIARY or past_form(low) or low in STOPWORDS - {"many", "much"}:
            break
        skip += 1
    after = tokens[skip:]
    inverted = len(after) > 1 and after[0].lower() in _AUXILIARY and bool(_SUBJECT.match(after[1]))
    inverted = inverted or atype in (WHEN, YEAR)  # a date is seldom the subject: "payments restart in May"
    after_terms = frozenset(canonical_terms(" ".join(after)))
    lead_terms = frozenset(canonical_terms(lead))
    if not skip and after and after[0].lower() in ("is", "was", "are", "were"):  # "Who was the target?": "X was
        return Slot(before=lead_terms, after=frozenset(),  # the target", "the target, X": either side
                    either=after_terms | frozenset(canonical_terms(context)))
    if inverted:
        return Slot(before=lead_terms | after_terms, after=frozenset(), either=frozenset(canonical_terms(context)))
    return Slot(before=lead_terms, after=after_terms, either=frozenset(canonical_terms(context)))


def alignment(text: str, span: Span, slot: Slot, weight: Callable[[str], float], reach: int = ALIGN_REACH) -> float:
    """The weighted share of the question's words that stand near the span on the side a statement of the
    answer puts them (`OTHER_SIDE` for the other side), each counted less the farther it stands, 0-1."""
    tokens = [(m.start(), canonical_terms(m.group(0))) for m in re.finditer(r"[\w'’]+", text)]
    first = next((i for i, (start, _) in enumerate(tokens) if start >= span.start), len(tokens))
    last = next((i for i, (start, _) in enumerate(tokens) if start >= span.end), len(tokens))
    before: dict[str, float] = {}  # term -> closeness to the span, 1 adjacent ... 1/reach at the edge
    after: dict[str, float] = {}
    for distance, (_, terms) in enumerate(reversed(tokens[max(0, first - reach) : first])):
        for term in terms:
            before.setdefault(term, 1 - distance / reach)
    for distance, (_, terms) in enumerate(tokens[last : last + reach]):
        for term in terms:
            after.setdefault(term, 1 - distance / reach)
    asked = slot.before | slot.after | slot.either
    total = sum(weight(t) for t in asked) or 1.0
    found = 0.0
    for term in asked:
        own, other = (before, after) if term in slot.before else (after, before) if term in slot.after else (
            {**before, **after}, {})
        found += weight(term) * max(own.get(term, 0.0), OTHER_SIDE * other.get(term, 0.0))
    return found / total


@dataclass
class Occurrence:
    span: Span
    evidence: Evidence
    score: float


@dataclass
class Candidate:
    """A candidate answer and the sentences that hold it, best first."""

    key: str
    occurrences: list[Occurrence]
    kind_ok: bool
    score: float = 0.0
    keys: set[str] = field(default_factory=set)  # its own key and the shorter ones merged into it

    @property
    def text(self) -> str:
        return self.occurrences[0].span.text

    @property
    def articles(self) -> int:
        return len({o.evidence.article_id for o in self.occurrences})


def rank_candidates(q: Question, sentences: Sequence[tuple[Evidence, float]], texts: Iterable[str],
                    common: set[str], weight: Callable[[str], float] = lambda term: 1.0) -> list[Candidate]:
    """The candidate answers of `q`'s type in `sentences` (each with its relevance, 0-1), best first.

    `texts`: the retrieved text in which the asked noun may name a span ("the city of Dallas"); `weight`: a
    question word's weight (its inverse document frequency in the retrieved sentences).
    """
    if not q.atype:
        return []
    noun = asked_noun(q.text)
    slot = question_slot(q.text, q.atype)
    whose = asked_clause(q.text).lower().startswith("whose")
    where = asked_clause(q.text).lower().startswith("where") and not noun
    tokenised = [words(t) for t in dict.fromkeys(texts)]
    occurrences: dict[str, list[Occurrence]] = {}
    kind_ok: dict[str, bool] = {}
    for evidence, relevance in sentences:
        if asks(evidence.text):
            continue  # a question states nothing
        spans = answer_spans(q.atype, evidence.text, q.text, common)
        for span in spans:
            key = candidate_key(q.atype, span.text)
            if not key:
                continue
            if where or key not in kind_ok:  # a name's kind is its first occurrence's; "where" asks each one
                shown = _of_asked_kind(q, noun, span, evidence.text, key, tokenised)
                kind_ok.setdefault(key, shown)
            if q.atype == NUMBER and not of_asked_unit(q, span, evidence.text):
                continue  # seven guards do not count embassies; 58 voters are no percentage
            if where and not shown:
                continue  # "Where did they meet?" is not answered by a name this sentence does not place
            aligned = alignment(evidence.text, span, slot, weight)
            score = relevance * (0.4 + 0.6 * aligned) * (1.0 if kind_ok[key] else KIND_MISMATCH)
            if not whose and span.text.endswith(("'s", "’s")):
                score *= KIND_MISMATCH  # "Kadhimi's guards" names whose guards: the guards are what is meant
            occurrences.setdefault(key, []).append(Occurrence(span, evidence, score))
    candidates = [Candidate(key, sorted(found, key=lambda o: -o.score), kind_ok[key], keys={key})
                  for key, found in occurrences.items()]
    for candidate in candidates:
        candidate.score = _support(candidate.occurrences)
    return sorted(_merged(candidates), key=lambda c: -c.score)


def direct_answer(q: Question, candidates: Sequence[Evidence], lexical: dict[Any, float],
                   common: set[str], needed: float | None = None) -> Evidence | None:
    """The source sentence that best answers the question by itself, if one clearly does.

    It must hold a value of the asked kind (a span of the asked type the question does not give, a number in the
    asked unit) and most of the question's terms (`needed`, by default 60% for typed questions, 75% for others);
    with conflicting values, `candidates` are the sentences of the value most articles give (`needed` given: they
    state a side, a count of what was asked as `find_conflicts` reads it: "seven of Al-Kadhimi's security guards").
    """
    typed = q.atype or q.kind in ("quantity", "date", "person", "quote")
    sides = needed is not None  # a conflict's sentences, each stating a side
    if needed is None:
        needed = DIRECT_MIN_LEXICAL if typed else DIRECT_MIN_LEXICAL_OTHER
    fitting = [e for e in candidates
               if lexical.get(e.key, 0.0) >= needed and not e.text.rstrip().endswith("?")
               and has_answer_value(q.kind, e.text, q.terms) and speaker_named(q, e.text_in_context)
               and holds_names(q, e.text_in_passage)
               and (not q.atype or (bool(asked_spans(q, e.text, common)) if sides
                                     else _gives_asked_value(q, e.text, common)))]
    return max(fitting, key=lambda e: (round(lexical.get(e.key, 0.0), 2), value_near_terms(q.kind, e.text, q.terms),
                                       e.relevance), default=None)


def _gives_asked_value(q: Question, text: str, common: set[str]) -> bool:
    """Whether `text` gives a span of the asked type, and for a number one in the asked unit, as a candidate must
    (`of_asked_unit`): "won 2-1 in Game 6" gives no count of championships."""
    spans = asked_spans(q, text, common)
    return any(of_asked_unit(q, s, text) for s in spans) if q.atype == NUMBER else bool(spans)


def holds(q: Question, text: str, candidate: Candidate, common: set[str]) -> bool:
    """Whether `text` gives `candidate` (or a longer or shorter form of it) as a span of the asked type."""
    return bool(spans_of(q, text, candidate, common))


def spans_of(q: Question, text: str, candidate: Candidate, common: set[str]) -> list[Span]:
    """The spans of the asked type in `text` that give `candidate` (or a longer or shorter form of it)."""
    keys = candidate.keys
    return [s for s in answer_spans(q.atype, text, q.text, common)
            if (k := candidate_key(q.atype, s.text))
            and (k in keys or inside(k, candidate.key) or inside(candidate.key, k))]


def answer_marks(q: Question, text: str, top: Candidate | None, common: set[str], value: str = ""
                 ) -> list[tuple[int, int]]:
    """Where `text` gives the answer, to be marked for the reader: the chosen candidate's spans; without one, the
    spans of the asked type that say `value` (the first side of a conflict: "7" in "Two officials said 7 guards
    were hurt"), or every span of the asked type the question does not give (none when it asks for no span)."""
    if top is not None:
        return [(s.start, s.end) for s in spans_of(q, text, top, common)]
    spans = answer_spans(q.atype, text, q.text, common) if q.atype else []
    if value:
        spans = [s for s in spans if value in (span_key(s.text), normalize_value(q.kind, s.text))]
    return [(s.start, s.end) for s in spans]


def question_marks(question: str, text: str, value: str = "") -> list[tuple[int, int]]:
    """`answer_marks` from the question's text alone, for an answer that came without its marks (an `assistant
    serve` reply is the JSON contract): the spans of the asked type that say `value` (a conflict's first side as
    shown, "seven"), else every one the question does not give. Without the candidates and the retrieved text's
    common words it may mark a little more than the engine would."""
    q = analyse_question(question)
    return answer_marks(q, text, None, set(), normalize_value(q.kind, value) if value else "")


def _support(occurrences: Sequence[Occurrence]) -> float:
    """The best occurrence's score plus a share of the best in each of up to two other articles."""
    best: dict[str, float] = {}
    for occurrence in occurrences:
        article = occurrence.evidence.article_id
        best[article] = max(best.get(article, 0.0), occurrence.score)
    ranked = sorted(best.values(), reverse=True)
    return ranked[0] + OTHER_ARTICLES * sum(ranked[1 : 1 + MAX_OTHER_ARTICLES]) if ranked else 0.0


def _merged(candidates: list[Candidate]) -> list[Candidate]:
    """Each candidate whose words stand inside a longer candidate's merged into the best such one."""
    by_length = sorted(candidates, key=lambda c: -len(c.key.split()))
    kept: list[Candidate] = []
    for candidate in by_length:
        containers = [k for k in kept if inside(candidate.key, k.key)]
        if not containers:
            kept.append(candidate)
            continue
        into = max(containers, key=lambda c: c.score)
        into.occurrences = sorted(into.occurrences + candidate.occurrences, key=lambda o: -o.score)
        into.kind_ok = into.kind_ok or candidate.kind_ok
        into.keys |= candidate.keys
        into.score = _support(into.occurrences)
    return kept


_NUMBER_KEY_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[$£€¥%]")


def candidate_key(atype: str, text: str) -> str:
    """The key by which candidates are told apart and merged (`span_key`); a number's stays whole, with its currency or
    per cent sign: "$6 billion" is no shorter form of "$2.6 billion", nor "2%" of "2.5%", nor "500" of "1,500"."""
    if atype != NUMBER:
        return span_key(text)
    return " ".join(_NUMBER_KEY_TOKEN.findall(text.lower().replace(",", "")))


def inside(short: str, long: str) -> bool:
    """Whether the words of `short` stand together inside `long` (keys: words joined by spaces)."""
    return f" {short} " in f" {long} "


def _of_asked_kind(q: Question, noun: str, span: Span, sentence: str, key: str, texts: Sequence[list[str]]) -> bool:
    if q.atype != NAME:  # a number's unit is checked occurrence by occurrence (`of_asked_unit`)
        return True
    if not noun:
        if not asked_clause(q.text).lower().startswith("where"):
            return True  # "who": a person or an organisation; the text cannot tell which
        before = words(sentence[: span.start])[-1:]
        return (bool(before and before[0] in _LOCATIVE) or any(is_kind(k, span.text) for k in ("country", "state"))
                or _placed(key.split(), texts))
    if _head(span.text) == noun:
        return True
    kind = KIND_OF_NOUN.get(noun)
    if kind and is_kind(kind, span.text):
        return True
    return _next_to(noun, key.split(), texts)


def _head(name: str) -> str:
    """The stemmed head noun of a name: its last word, or the last before "of" ("Yosemite National Park": park;
    "National Park Service": service; "Bank of England": bank)."""
    tokens = words(name)
    if "of" in tokens[1:]:
        tokens = tokens[: tokens.index("of", 1)]
    return stem(tokens[-1].removesuffix("'s")) if tokens else ""


def _next_to(noun: str, key: list[str], texts: Sequence[list[str]]) -> bool:
    """Whether some text calls the span by the asked noun: "the school Harlow", "the city of Dallas", "Harlow,
    the oldest school" (an article and at most `NEXT_TO` words before the noun). Not "Japanese automaker":
    a name before the noun is more often its modifier than the thing itself."""
    for tokens, i in _written(key, texts):
        before = [stem(t) for t in tokens[max(0, i - 2) : i]]
        after = [stem(t) for t in tokens[i + len(key) : i + len(key) + NEXT_TO + 2]]
        if (before[-1:] == [noun] or before == [noun, "of"]
                or (after[:1] and after[0] in ("a", "an", "the") and noun in after[1:])):
            return True
    return False


def _placed(key: list[str], texts: Sequence[list[str]]) -> bool:
    """Whether some text writes the name as a place: "in Baghdad", "at Camp David"."""
    return any(i > 0 and tokens[i - 1] in ("in", "at") for tokens, i in _written(key, texts))


def _written(key: list[str], texts: Sequence[list[str]]) -> Iterator[tuple[list[str], int]]:
    """Each text (its words) and the index at which it writes the name `key` ("Harlow's" is Harlow)."""
    n = len(key)
    for tokens in texts:
        for i in range(len(tokens) - n + 1):
            if [t.removesuffix("'s") for t in tokens[i : i + n]] == key:
                yield tokens, i


def nearness(text: str, spans: Sequence[Span], terms: Sequence[str], reach: int = NEAR_REACH) -> float:
    """1 - (words between the spans and the nearest question term) / `reach`, at least 0; 0 without spans."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[\w'’]+", text)]
    at = [i for i, (_, _, w) in enumerate(tokens) if set(canonical_terms(w)) & set(terms)]
    gaps = []
    for span in spans:
        covered = [i for i, (start, end, _) in enumerate(tokens) if start < span.end and end > span.start]
        if covered and at:
            gaps.append(min(max(0, min(abs(i - j) for j in covered) - 1) for i in at))
    return max(0.0, 1 - min(gaps) / reach) if gaps else 0.0
