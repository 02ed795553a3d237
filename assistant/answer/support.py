"""Where a citation is checked: whether verbatim quotes support a sentence of the draft, and finding
quotes that do when the model cited none or cited wrongly.

Everything here is plain Python over strings and offsets, so it does not depend on the model: the
model may cite well, badly or not at all, and the result is checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answer.evidence import CheckedSentence, Evidence
from assistant.answer.lexicon import DATE, VAGUE
from assistant.answer.markers import parse_markers, split_draft
from assistant.answer.terms import canonical_terms, name_terms
from assistant.answer.values import normalize_value
from assistant.text import NEGATIONS, content_terms, number_values, words


def _negated(text: str) -> bool:
    return any(w in NEGATIONS for w in words(text)) or "n't" in text


@dataclass(frozen=True)
class Support:
    """How far some quotes support a claim."""

    coverage: float
    numbers_ok: bool
    names_ok: bool
    negation_ok: bool
    similarity: float
    quotes: int = 1

    @property
    def ok(self) -> bool:
        if not (self.numbers_ok and self.names_ok and self.negation_ok):
            return False
        needed = 0.8 if self.quotes == 1 else 0.9
        if self.coverage >= needed:
            return True
        # A paraphrase: most words there and close in meaning.
        return self.quotes == 1 and self.coverage >= 0.65 and self.similarity >= 0.8


Similarity = Callable[[str, Sequence[str]], list[float]]


def check_support(claim: str, quotes: Sequence[str], similarity: Similarity | None = None,
                  question: str = "") -> Support:
    """Whether `quotes` together support `claim`: its numbers, names and polarity match, and its words are there."""
    joined = " ".join(quotes)
    claim_terms = set(canonical_terms(claim))
    quote_terms = set(canonical_terms(joined))
    # The question's own terms must be in the quotes: a quote that never mentions the "operator" cannot
    # establish who the operator was, however much else it shares with the claim.
    asked_but_missing = bool(question) and bool((claim_terms - quote_terms) & set(canonical_terms(question)))
    coverage = len(claim_terms & quote_terms) / len(claim_terms) if claim_terms else 0.0
    claim_numbers = number_values(claim)
    quote_numbers = number_values(joined)
    numbers_ok = claim_numbers <= quote_numbers and _vague_quantities(claim) <= _vague_quantities(joined)
    names_ok = name_terms(claim) <= (set(content_terms(joined)) | name_terms(joined))
    numbers_ok = numbers_ok and _literals(claim) <= _literals(joined)
    negation_ok = _negated(claim) == any(_negated(q) for q in quotes) or (not _negated(claim) and len(quotes) > 1)
    sim = 1.0
    if similarity is not None and coverage < 0.8:
        sim = max(similarity(claim, quotes) or [0.0])
    return Support(coverage, numbers_ok, names_ok and not asked_but_missing, negation_ok, sim, len(quotes))


def _literals(text: str) -> set[str]:
    """Digit strings (years, times, counts) and dates, which must appear in the quotes as they are."""
    counts = number_values(text)
    found = {d for d in re.findall(r"\d+", text) if float(d) not in counts}  # counts may be spelled out
    found |= {normalize_value("date", m.group(0)) for m in DATE.finditer(text)}
    return found


def _vague_quantities(text: str) -> set[str]:
    return {m.group(0).lower() for m in VAGUE.finditer(text)}


def verify_sentences(draft: str, sources: Sequence[Evidence], pool: Sequence[Evidence],
                     similarity: Similarity | None = None, question: str = "") -> list[CheckedSentence]:
    """Check each draft sentence: keep the model's citations that hold, else find support in `pool`.

    `sources` are the numbered sources the model saw ([1] is `sources[0]`); `pool` is every
    retrieved sentence, searched when the model cited nothing or cited wrongly.
    """
    checked = []
    for raw in split_draft(draft):
        text, cited = parse_markers(raw)
        if not text or not re.search(r"[A-Za-z0-9]", text):
            continue
        result = CheckedSentence(text=text, cited_by_model=cited)
        given = [sources[n - 1] for n in cited if 1 <= n <= len(sources)]
        kept = [e for e in given if check_support(text, [e.text], similarity, question).ok]
        if kept:
            result.evidence = kept[:3]
        elif _one_article(given[:2]) and check_support(text, [e.text for e in given[:2]], similarity, question).ok:
            result.evidence = given[:2]
        else:
            result.evidence = find_support(text, pool, similarity, question)
            result.repaired = bool(result.evidence)
        checked.append(result)
    return checked


def find_support(claim: str, pool: Sequence[Evidence], similarity: Similarity | None = None,
                 question: str = "") -> list[Evidence]:
    """The sentences in `pool` that support `claim`: one if one suffices, else the best pair, else none."""
    claim_terms = set(canonical_terms(claim))
    if not claim_terms and not number_values(claim):
        return []

    def overlap(e: Evidence) -> float:
        return len(claim_terms & set(canonical_terms(e.text))) + 0.01 * e.relevance

    ranked = sorted(pool, key=overlap, reverse=True)[:12]
    singles = [e for e in ranked if check_support(claim, [e.text], similarity, question).ok]
    if singles:
        # Every article that says the same thing is cited, best first.
        best = singles[:1]
        best += [e for e in singles[1:] if e.article_id not in {b.article_id for b in best}][:2]
        return best
    for i, first in enumerate(ranked[:6]):
        for second in ranked[i + 1 : 6]:
            pair = [first.text, second.text]
            if _one_article([first, second]) and check_support(claim, pair, similarity, question).ok:
                return [first, second]
    return []


def _one_article(evidence: Sequence[Evidence]) -> bool:
    """Two sentences may support a claim together only when they stand side by side in one article:
    stitching distant sentences or two reports together can make a claim that none of them makes."""
    if len(evidence) != 2 or evidence[0].article_id != evidence[1].article_id:
        return False
    first, second = sorted(evidence, key=lambda e: e.start)
    return 0 <= second.start - first.end <= 2  # neighbours: ". " or a line break apart


def quote_support(quote: Evidence, pool: Sequence[Evidence], similarity: Similarity | None = None) -> list[Evidence]:
    """The citations of a source sentence given as an answer: the sentences in `pool` that support it (other articles
    saying the same) when it is among them, else itself alone."""
    support = find_support(quote.text, pool, similarity)
    return support if quote in support else [quote]


def as_quoted(sentences: Sequence[CheckedSentence], pool: Sequence[Evidence],
              similarity: Similarity | None = None) -> list[CheckedSentence]:
    """The supported sentences as the sources write them: a sentence of the model's that is not one of its quotes
    word for word gives way to the quote that supports it (or the pair, when it took both), cited as
    `quote_support` cites it. The support check reads words, numbers, names and negation, not who did what to
    whom: "The cup was won by Rovers" holds every word of "Wolves beat Rovers to win the cup". Quoted, the answer
    says only what a source says. Sentences that say the same thing twice are kept once."""
    out: list[CheckedSentence] = []
    seen: set[tuple[str, ...]] = set()
    for sentence in sentences:
        quotes = [sentence]
        written = {tuple(words(parse_markers(e.text)[0])) for e in sentence.evidence}
        if sentence.supported and tuple(words(sentence.text)) not in written:
            alone = check_support(sentence.text, [sentence.evidence[0].text], similarity).ok
            quotes = [CheckedSentence(parse_markers(e.text)[0], quote_support(e, pool, similarity),
                                      sentence.cited_by_model, sentence.repaired, sentence.picked)
                      for e in (sentence.evidence[:1] if alone else sentence.evidence)]
        for quote in quotes:
            key = tuple(words(quote.text))
            if key not in seen:
                seen.add(key)
                out.append(quote)
    return out
