"""Where articles disagree on the answer: different counts or dates (`find_conflicts`), different candidate
answers of the asked type (`candidate_conflicts`), and parallel statements or copies of one report that differ
in one span (`span_conflicts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from assistant.answer.candidates import NAME, NUMBER, WHEN, answer_spans, asked_noun, asks
from assistant.answer.evidence import Evidence
from assistant.answer.gazetteer import COUNTRY, KIND_OF_NOUN, country_of, is_kind
from assistant.answer.question import Question
from assistant.answer.selection import Candidate, Occurrence, inside, span_key
from assistant.answer.terms import canonical_terms
from assistant.answer.values import answer_values, is_day_name, normalize_value
from assistant.text import number_values, numbers, words


@dataclass
class ValueClaim:
    """One article's value for what the question asks, with the sentences that state it."""

    value: str
    display: str
    evidence: list[Evidence]


def find_conflicts(question: Question, candidates: Sequence[Evidence]) -> list[ValueClaim]:
    """Different values that articles give for the asked quantity or date; empty when they agree.

    `candidates` are sentences already judged relevant to the question, best first; each article
    contributes the value of its most relevant sentence that states one.
    """
    kind = "date" if question.atype == WHEN else question.kind  # "By when will the plant close?" asks a date
    if kind not in ("quantity", "date"):
        return []
    focus = question.counted or question.terms
    per_article: dict[str, tuple[str, str, Evidence]] = {}
    for evidence in candidates:
        held = per_article.get(evidence.article_id)
        if held and not (kind == "date" and is_day_name(held[1])):
            continue
        # A count of what the question counts ("1,500 jobs"), not any number near one of its words ("$521 million
        # for the third quarter" is no revenue); a question that counts nothing named takes its terms. A date
        # nearest the question's words; in an article that names only the day ("on Sunday") in its most relevant
        # sentence, a date from the next one that gives one ("the runoff on Sunday, October 18").
        values = answer_values(kind, evidence.text, focus)
        if values and not (held and is_day_name(values[0])):
            per_article[evidence.article_id] = (normalize_value(kind, values[0]), values[0], evidence)
    claims: dict[str, ValueClaim] = {}
    for value, display, evidence in per_article.values():
        claim = claims.setdefault(value, ValueClaim(value, display, []))
        claim.evidence.append(evidence)
    if kind == "date" and sum(not is_day_name(c.display) for c in claims.values()) >= 2:
        # Articles that give dates disagree on those: a day name alone may be either date, or date another event
        # in a sentence with the question's words ("Krull, third in the first round, on Tuesday endorsed ...").
        claims = {v: c for v, c in claims.items() if not is_day_name(c.display)}
    if len(claims) < 2:
        return []
    for claim in claims.values():  # show the value as most articles write it ("seven" rather than "7")
        spelled = [v for e in claim.evidence for v in answer_values(kind, e.text, focus)[:1]]
        claim.display = max(set(spelled), key=lambda v: (spelled.count(v), v.isalpha()), default=claim.display)
        if question.kind == "quantity":
            at = next(((e.text, i) for e in claim.evidence if (i := _standing(e.text, claim.display)) >= 0), None)
            if at:
                claim.display = _with_unit(question, at[0], at[1], at[1] + len(claim.display))
    return sorted(claims.values(), key=lambda c: (-len(c.evidence), -max(e.relevance for e in c.evidence)))


RIVAL_SHARE = 0.8  # an article's own answer scores at least this share of the best-scored sentence's
SHARED_SPECIFICS = 2  # names and numbers besides the question's that two reports of one event share
MAX_SIDES = 3
MAX_SIDE_SOURCES = 3


def candidate_conflicts(q: Question, ranked: Sequence[Candidate], pool: Sequence[Evidence]) -> list[ValueClaim]:
    """Articles that each give their own answer: names or numbers that are the best candidate in one article's
    sentences, score nearly as well as the best sentence of all (`RIVAL_SHARE`), and stand in no article that
    gives another of them; a side's articles do not mention the other sides anywhere in what was retrieved, and
    the sentences report the same event: worded alike apart from the answer, or a sentence of each side sharing
    `SHARED_SPECIFICS` names or numbers that the question does not give ("Port Adler Wolves
    beat Castellan Rovers 87-81 ... in Lorvik" / "Castellan Rovers lost 87-81 to the Wolves ... in Saltmere":
    "Wolves" counts as "Port Adler Wolves"). An article that names both ("Lorvik beat Saltmere") reports both,
    so it disagrees with nobody. Embedding similarity does not tell two wordings of one event (0.3-0.65 on
    such pairs) from two events (0.2-0.7 on RealTime QA's retrieved articles).

    Dates are not compared this way: "Sunday" and "June 12" may be the same day. Sides come best-supported first.
    """
    if q.atype not in (NAME, NUMBER) or len(ranked) < 2:
        return []
    best_in: dict[str, tuple[float, Candidate]] = {}  # article -> its best occurrence's score and candidate
    for candidate in ranked:
        for occurrence in candidate.occurrences:
            article = occurrence.evidence.article_id
            if article not in best_in or occurrence.score > best_in[article][0]:
                best_in[article] = (occurrence.score, candidate)
    floor = RIVAL_SHARE * max(score for score, _ in best_in.values())
    own = {id(candidate) for score, candidate in best_in.values() if score >= floor}
    contenders = [c for c in ranked if id(c) in own]
    if any(c.kind_ok for c in contenders):
        contenders = [c for c in contenders if c.kind_ok]
    texts: dict[str, str] = {}
    for evidence in pool:
        plain = " ".join(w.removesuffix("'s") for w in words(evidence.text))
        texts[evidence.article_id] = texts.get(evidence.article_id, " ") + plain + " "
    sides: list[Candidate] = []
    for contender in contenders:
        if len(sides) == MAX_SIDES:
            break
        if all(_rivals(q, contender, side, texts) for side in sides):
            sides.append(contender)
    if len(sides) < 2:
        return []
    claims = []
    for side in sides:
        per_article: dict[str, Evidence] = {}
        for occurrence in side.occurrences:  # best first: each article's best sentence for it
            per_article.setdefault(occurrence.evidence.article_id, occurrence.evidence)
        cited = list(per_article.values())[:MAX_SIDE_SOURCES]
        claims.append(ValueClaim(side.key, _shown(q, side.occurrences[0]), cited))
    return claims


def _shown(q: Question, occurrence: Occurrence) -> str:
    """How a side is written in "The articles differ": a number with what it counts; a name as written."""
    span = occurrence.span
    return _with_unit(q, occurrence.evidence.text, span.start, span.end) if q.atype == NUMBER else span.text


def _with_unit(q: Question, text: str, start: int, end: int) -> str:
    """The number at `text[start:end]` with the counted thing that follows it ("10 seconds" for "how many seconds
    ...?", not a bare "10", which says nothing next to "112" of something else)."""
    following = re.match(r"[ -]([A-Za-z]+)", text[end:])
    if q.counted and following and set(canonical_terms(following.group(1))) & set(q.counted):
        return text[start:end] + following.group(0)
    return text[start:end]


def _rivals(q: Question, first: Candidate, second: Candidate, texts: dict[str, str]) -> bool:
    """Whether two candidates are different answers that different articles give in reports of the same event."""
    if _same_value(q, first, second) or _articles(first) & _articles(second):
        return False
    if q.atype == NAME and (any(_names(texts.get(a, ""), second) for a in _articles(first))
                            or any(_names(texts.get(a, ""), first) for a in _articles(second))):
        return False
    one, other = first.occurrences[0], second.occurrences[0]
    if _parallel(one.evidence.text, first.keys, other.evidence.text, second.keys):
        return True
    theirs = [_specifics(q, o) for o in second.occurrences]
    for ours in (_specifics(q, o) for o in first.occurrences):  # some sentence of each side: one report each
        if any(len([k for k in ours if any(k == t or inside(k, t) or inside(t, k) for t in other)])
               >= SHARED_SPECIFICS for other in theirs):
            return True
    return False


def _specifics(q: Question, occurrence: Occurrence) -> set[str]:
    """The names (each capitalised run once: "Green Zone" is one) and numbers of the occurrence's sentence that
    are neither the answer nor given by the question."""
    text, span = occurrence.evidence.text, occurrence.span
    names = {span_key(s.text) for s in answer_spans(NAME, text, q.text) if s.end <= span.start or s.start >= span.end}
    rest = text[: span.start] + " " + text[span.end :]
    values = {str(v) for m in numbers(rest) for v in number_values(m.text)} - {str(v) for v in number_values(q.text)}
    return (names - {""}) | values


def _articles(candidate: Candidate) -> set[str]:
    return {o.evidence.article_id for o in candidate.occurrences}


def _same_value(q: Question, first: Candidate, second: Candidate) -> bool:
    """"7" and "seven", "$1.02 billion" and "1.02 billion", "Britain" and "the UK", "Renaissance" and
    "Rennaisance" are one answer."""
    if q.atype == NUMBER:
        return number_values(first.text) == number_values(second.text)
    return set(canonical_terms(first.text)) == set(canonical_terms(second.text)) or spelled_alike(first.key, second.key)


SPELLED_ALIKE = 0.9  # difflib's ratio: about one letter in ten differs


def spelled_alike(first: str, second: str) -> bool:
    """Whether two names differ only as a misspelling would ("Renaissance" / "Rennaisance", 0.91), or as a name and
    its initials do ("USC"): one value written twice, not a disagreement. "Johnson" / "Johnston" (0.93) are taken
    as one too, which misses that conflict rather than invent one; "Austria" / "Australia" (0.88) and "Iran" /
    "Iraq" (0.75) stay apart. One number in figures and in words ("5" / "five") is one value too, and so is one
    country written two ways."""
    values = number_values(first)
    if values and values == number_values(second):
        return True
    country = country_of(first)
    if country and country == country_of(second):
        return True  # "U.S" / "USA"
    if _initials(first) == second or _initials(second) == first:
        return True  # "USC" / "University of Southern California"
    return SequenceMatcher(None, first, second).ratio() >= SPELLED_ALIKE


def _initials(name: str) -> str:
    """The initials of a name of several words, without "of", "the", "and", "for" ("university of southern
    california": "usc"); "" for a name of one word."""
    initials = [w[0] for w in name.split() if w not in ("of", "the", "and", "for")]
    return "".join(initials) if len(initials) > 1 else ""


def _names(text: str, candidate: Candidate) -> bool:
    """Whether `text` (its words, space-separated) mentions the candidate in any of its forms."""
    return any(f" {key} " in text for key in candidate.keys)


PARALLEL_OVERLAP = 0.7  # the share of the longer sentence's other terms that the two sentences share
NEAR_COPY = 0.9  # ... for two copies of one report (a wire story and its update)
MAX_REPLACED = 4  # words in which two copies may differ and still state one thing
MIN_COPIED = 6  # ... and the words they must share


def span_conflicts(question: Question, candidates: Sequence[Evidence], common: set[str],
                   copies: Sequence[Evidence] = ()) -> list[ValueClaim]:
    """Articles that make the same statement with a different name, place, amount or date in it ("the final was
    played in Lorvik" / "... in Saltmere"): one claim per value, the most relevant sentence's value first.

    Only parallel statements count: the sentences share most of their other terms (of the longer one) and differ
    in one span of the asked type, which stands after or before the same word in both ("played in Lorvik" /
    "played in Saltmere"). Two reports that phrase things differently are not compared: a missed disagreement leaves an
    answer with its citations, a false one puts a wrong value beside it.

    `copies`: more relevant sentences, in which two articles' copies of one report (`NEAR_COPY` of their other
    terms shared: a wire story and its update) that differ in one such span also disagree, though neither is the
    most relevant report ("A 101-year-old former guard was sentenced" / "A 98-year-old former guard ..."). For a
    question that asks for no span ("Martin Sheen regrets not using his birth name. What is it?") copies that
    differ in one name disagree ("... still Ramon Estévez on my birth certificate" / "... still Michael Douglas
    ..."); statements merely worded alike are not compared, the asked type being unknown.
    """
    if not question.atype:  # copies of one report that differ in a name disagree, whatever the question asks
        return _near_copies(question, copies, common, NAME)
    claims = _against_the_best(question, candidates, common) or _near_copies(question, copies, common)
    kind = KIND_OF_NOUN.get(asked_noun(question.text)) if claims and question.atype == NAME else None
    return claims if kind is None or all(_of_kind(kind, c.display) for c in claims) else []


def _of_kind(kind: str, value: str) -> bool:
    """Whether a side is of the kind a "which country" or "which state" question asks (two reports that differ on an
    island do not disagree on the country); only kinds the gazetteer covers are checked."""
    return bool(is_kind(kind, value)) or (kind == COUNTRY and country_of(value) is not None)


def _best_with_spans(question: Question, candidates: Sequence[Evidence], common: set[str],
                     ) -> dict[str, tuple[Evidence, dict[str, str]]]:
    """Each article's most relevant sentence with a span of the asked type, and its spans (key -> text)."""
    best: dict[str, tuple[Evidence, dict[str, str]]] = {}
    for evidence in candidates:  # best first
        if evidence.article_id not in best:
            spans = _spans(question, evidence, common)
            if spans:
                best[evidence.article_id] = (evidence, spans)
    return best


def _spans(question: Question, evidence: Evidence, common: set[str], atype: str = "") -> dict[str, str]:
    """The sentence's spans of the asked type, or of `atype` (key -> text)."""
    return {s.key: s.text for s in answer_spans(atype or question.atype, evidence.text, question.text, common)}


def _one_change(first_spans: dict[str, str], second_spans: dict[str, str]) -> tuple[str, str] | None:
    """The one span (keys) in which two sentences differ, if they differ in exactly one; more is another statement."""
    only_ours = [k for k in first_spans if k not in second_spans]
    only_theirs = [k for k in second_spans if k not in first_spans]
    return (only_ours[0], only_theirs[0]) if len(only_ours) == 1 and len(only_theirs) == 1 else None


def _near_copies(question: Question, copies: Sequence[Evidence], common: set[str], atype: str = "",
                 ) -> list[ValueClaim]:
    """Two articles' copies of one sentence that differ in one span of the asked type (or of `atype`); every
    relevant sentence of each article is compared, not only its most relevant one: a copy that changed the answer
    in its second paragraph ("... erupted ... on the island of Miyako-jima") leads with the same sentence as its
    original. The side more of the articles state comes first."""
    by_article: dict[str, list[tuple[Evidence, dict[str, str]]]] = {}
    for evidence in copies:  # best first
        if asks(evidence.text):
            continue  # a question states nothing
        spans = _spans(question, evidence, common, atype)
        if spans:
            by_article.setdefault(evidence.article_id, []).append((evidence, spans))
    articles = list(by_article.values())
    for i, ours in enumerate(articles):
        for theirs in articles[i + 1 :]:
            for first, first_spans in ours:
                for second, second_spans in theirs:
                    claims = _copies_differ(first, first_spans, second, second_spans)
                    if claims:
                        stating = {c.value: {e.article_id for e in copies if states(e.text, c.value)} for c in claims}
                        return sorted(claims, key=lambda c: -len(stating[c.value]))
    return []


def states(text: str, value: str) -> bool:
    """Whether `text` states a span-found side's value (its span key: "break my soul")."""
    return f" {value} " in f" {span_key(text)} "


def _copies_differ(first: Evidence, first_spans: dict[str, str], second: Evidence,
                   second_spans: dict[str, str]) -> list[ValueClaim]:
    """The two sides, when two sentences are copies of one another (`NEAR_COPY`) but for one span of the asked
    type, or but for one place of a few words of which one side is such a span (`_replaced`)."""
    changed = _one_change(first_spans, second_spans)
    if (changed and not spelled_alike(*changed)
            and _same_place(first.text, first_spans[changed[0]], second.text, second_spans[changed[1]])
            and _parallel(first.text, set(first_spans), second.text, set(second_spans), NEAR_COPY)):
        return [ValueClaim(changed[0], first_spans[changed[0]], [first]),
                ValueClaim(changed[1], second_spans[changed[1]], [second])]
    replaced = _replaced(first.text, second.text, set(first_spans) | set(second_spans))
    if replaced:
        return [ValueClaim(span_key(replaced[0]), replaced[0], [first]),
                ValueClaim(span_key(replaced[1]), replaced[1], [second])]
    return []


def _replaced(first: str, second: str, keys: set[str]) -> tuple[str, str] | None:
    """The words two copies of a sentence differ in, when they differ in one place only and one side's words are
    a span of the asked type (`keys`): "the monkeypox outbreak" / "the Covid-19 outbreak" (a disease in lower
    case is no name, and yet the copies disagree on it)."""
    one = [m.group(0) for m in re.finditer(r"[\w'’.-]+", first)]
    two = [m.group(0) for m in re.finditer(r"[\w'’.-]+", second)]
    ops = [op for op in SequenceMatcher(None, [w.lower() for w in one], [w.lower() for w in two],
                                        autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(ops) != 1 or ops[0][0] != "replace":
        return None
    _, i1, i2, j1, j2 = ops[0]
    if max(i2 - i1, j2 - j1) > MAX_REPLACED or len(one) - (i2 - i1) < MIN_COPIED:
        return None
    ours, theirs = " ".join(one[i1:i2]).rstrip(".,"), " ".join(two[j1:j2]).rstrip(".,")
    if spelled_alike(span_key(ours), span_key(theirs)):
        return None  # "Renaissance" / "Rennaisance": one name, misspelt
    return (ours, theirs) if " ".join(words(ours)) in keys or " ".join(words(theirs)) in keys else None


def _against_the_best(question: Question, candidates: Sequence[Evidence], common: set[str]) -> list[ValueClaim]:
    best = _best_with_spans(question, candidates, common)
    if len(best) < 2:
        return []
    (reference, ref_spans), *others = best.values()
    agree, differ = [reference], []
    for evidence, spans in others:
        if not _parallel(reference.text, set(ref_spans), evidence.text, set(spans)):
            continue
        changed = _one_change(ref_spans, spans)
        if set(ref_spans) == set(spans) or (changed and spelled_alike(*changed)):
            agree.append(evidence)
        elif changed and _same_place(reference.text, ref_spans[changed[0]], evidence.text, spans[changed[1]]):
            differ.append((changed[0], changed[1], spans[changed[1]], evidence))
    if not differ:
        return []
    value = max({d[0] for d in differ}, key=lambda v: sum(d[0] == v for d in differ))
    claims = {value: ValueClaim(value, ref_spans[value], agree)}
    for ours, key, display, evidence in differ:
        if ours == value:
            claims.setdefault(key, ValueClaim(key, display, [])).evidence.append(evidence)
    if len(claims) < 2:
        return []
    return sorted(claims.values(), key=lambda c: (-len(c.evidence), -max(e.relevance for e in c.evidence)))


def _parallel(first: str, first_spans: set[str], second: str, second_spans: set[str],
              overlap: float = PARALLEL_OVERLAP) -> bool:
    """Whether two sentences say the same thing apart from their spans."""
    span_words = {w for key in first_spans | second_spans for w in key.split()}
    a = {w for w in canonical_terms(first) if w not in span_words}
    b = {w for w in canonical_terms(second) if w not in span_words}
    if not a or not b:
        return False
    return len(a & b) / max(len(a), len(b)) >= overlap


def _same_place(first: str, first_span: str, second: str, second_span: str) -> bool:
    """Whether the two spans stand after the same word or before the same word in their sentences."""
    def neighbours(text: str, span: str) -> tuple[str, str]:
        at = max(_standing(text, span), 0)
        before, after = words(text[:at])[-1:], words(text[at + len(span):])[:1]
        return (before[0] if before else "", after[0] if after else "")

    (b1, a1), (b2, a2) = neighbours(first, first_span), neighbours(second, second_span)
    return bool(b1 and b1 == b2) or bool(a1 and a1 == a2)


def _standing(text: str, value: str) -> int:
    """Where `value` stands in `text` as whole words ("10" in "2010 ... 10 people" is the second), or -1."""
    match = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text)
    return match.start() if match else -1
