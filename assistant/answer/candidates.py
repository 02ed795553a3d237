"""Candidate answers: the type of span a question asks for, and the spans of that type a sentence offers.

A sentence answers "Which automaker recalled 2.9 million vehicles?" only if it holds a name the question
does not already give ("Ford Motor Co."); a sentence that repeats the question's words, however closely,
answers nothing. The type is read from the question's wh-phrase (English grammar, not a word list fitted to
any gold set), the spans from the sentence's surface: capitalised runs for names, numbers with their units
for amounts, calendar expressions and years for dates.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.lexicon import CALENDAR_WORDS, DATE
from assistant.answer.terms import canonical_terms
from assistant.text import STOPWORDS, fold, numbers, sentence_spans, stem, words

NAME = "name"
NUMBER = "number"
WHEN = "date"
YEAR = "year"

# The wh-phrase of the asked clause: the last sentence of the question, from its first wh-word.
_WH = re.compile(r"\b(?:who|whom|whose|which|what|when|where|why|how)\b", re.IGNORECASE)
_MEASURES = "percentage percent share proportion number amount sum price cost age score magnitude".split()  # noqa: SIM905
_MEASURE_NOUN = rf"(?:{'|'.join(_MEASURES)})"
_NUMBER_PHRASE = re.compile(
    r"^(?:how (?:many|much|long|old|high|far|big|large|tall|fast|often|deep|heavy)\b"
    rf"|(?:what|which) (?:(?:is|was|are|were) the )?{_MEASURE_NOUN}\b)"
)
_YEAR_PHRASE = re.compile(r"^(?:in |by |since )?(?:what|which) year\b")
_DATE_PHRASE = re.compile(r"^(?:when\b|(?:in |on |by )?(?:what|which) (?:year|day|date|month|decade|century)\b)")
# "What <noun> ...?" asks for a thing of that kind, which news names, as "which <noun>" does ("What national park does
# it threaten?"); not when the noun names an amount (a measure, money, a range: "What revenue did it report?").
# "What / which kind of ...?" asks for a description (`_DESCRIPTIONS`, checked first). Stemmed, as `asked_phrase`
# gives the noun.
_PREPOSITION = r"(?:in |on |at |for |from |to |by |of )?"  # before the wh-word: "In which city ...?"
_WHAT_NOUN = re.compile(rf"^{_PREPOSITION}what\s")
_AMOUNTS = "revenue profit loss sales earnings income budget salary debt value worth fine fee range".split()  # noqa: SIM905
_DESCRIPTIONS = frozenset(stem(w) for w in ("kind", "type", "sort"))  # "which / what kind of ...": a description
_NOT_A_KIND = frozenset(stem(w) for w in [*_MEASURES, *_AMOUNTS])
_NAME_PHRASE = re.compile(r"^(?:who|whom|whose|where|which|what (?:is|was) the name)\b"
                          r"|^what (?:is|was|are|were) (?:it|they|he|she|this|the \w+) (?:called|titled|named)\b")
# A question that ends in a gap to fill ("Beyonce released a new song, titled:", "the highest hike since:"): the
# word before the colon says what fills it: a naming verb takes a name, "since" a year.
_GAP_NAME = re.compile(r"\b(?:titled|called|named|dubbed)\s*:$")
_GAP_YEAR = re.compile(r"\bsince\s*:$")
# A gap whose sentence speaks of a measure ("the top prize amount ballooned to:", "the cost ... will be:"): a number.
_GAP_NUMBER = re.compile(rf"\b{_MEASURE_NOUN}\b[^:]*:$")

_CAPITALISED = re.compile(r"[A-Z][\w'’.&-]*|[0-9]+[A-Za-z]+")  # "Ford", "U.S.", "McDonald's", "76ers"
# Words inside a name ("Bank of England", "Bed Bath & Beyond"); not "and", which joins two names.
_CONNECTORS = {"of", "&", "de", "du", "la", "van", "von", "the", "for"}
# A credit opening or closing a sentence: "(CNN)", "LONDON (AP) -"; "... crowd - CNN", "... | Reuters".
_LEADING_CREDIT = re.compile(r"^\s*(?:[A-Z][A-Za-z ,.]*\s)?\((?:[A-Z][\w .&-]*)\)\s*[-—–]*\s*")
_TRAILING_CREDIT = re.compile(r"\s[-–—|]\s*[A-Z][\w.&]*(?:\s[A-Z][\w.&]*){0,2}\s*$")
# "Harvard-trained", "Texas-based", "Covid-related", "Texas-born": a name made an adjective by a participle (not
# "Miyako-jima", a name with a lower-case part).
_COMPOUND_ADJECTIVE = re.compile(r"-[a-z]+(?:ed|ing)$|-(?:born|made|run|like|style|wide)$")
_FIRST_PERSON = re.compile(r"I['’](?:m|ve|ll|d)")  # "I'm" is capitalised as "I" is
_AMOUNT = re.compile(
    r"(?:[$£€¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|bn|m|k)\b)?"
    r"|\d[\d,]*(?:\.\d+)?\s?(?:%|percent\b|per cent\b)"
    r"|\b\d[\d,]*(?:\.\d+)?(?:\s(?:million|billion|trillion|thousand|hundred)\b)?)"
)
_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)s?\b")
_QUOTED = re.compile(r"[\"“]([A-Z0-9][^\"“”]{0,80}?)[\"”]")
_TITLE_WORDS = 8
_CUT = re.compile(r"\s*(?:\.\.|…)")  # a span that runs into an ellipsis was cut off there


# Verbs that end the wh-phrase without the "-ed" of a regular past ("Which team won ...?"): English
# irregular past forms and the auxiliaries (in `STOPWORDS`), grammar rather than vocabulary.
IRREGULAR_PAST = frozenset(
    """won lost beat became began broke brought built bought caught chose came cut drew drove ate fell felt
    fought found flew forgot froze got gave went grew hung held hit hurt kept knew laid led left lent let lay
    made meant met paid put quit ran rang rose saw sold sent set shook shot shut sang sank sat slept spoke
    spent split spread stood stole struck swore swept swam took taught tore told thought threw understood
    woke wore withdrew wrote""".split()  # noqa: SIM905
)


def past_form(word: str) -> bool:
    """Whether a lower-case word is a verb's past form: an irregular one, or one in "-ed" ("announced")."""
    return word in IRREGULAR_PAST or (word.endswith("ed") and len(word) > 4)


@dataclass(frozen=True)
class Span:
    """A candidate answer in a sentence: `text == sentence[start:end]`."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """The span compared with others ("Ford Motor Co." and "ford motor co" are one)."""
        return " ".join(words(self.text))


def asks(sentence: str) -> bool:
    """Whether the sentence is a question (its closing quotes and brackets aside): a question states nothing."""
    return sentence.rstrip(" \"'”’)").endswith("?")


def span_key(text: str) -> str:
    """A span compared with others: lower case, without "the" and possessives ("Moldova's" is Moldova)."""
    return " ".join(w.removesuffix("'s") for w in words(text) if w != "the")


def names_quoted(text: str, question: str, quotes: Collection[str], common: Collection[str] = ()) -> bool:
    """Whether every name in `text` that the question does not give stands, word for word, in one of `quotes`:
    a draft that builds "the National Park of Mariposa Grove" from a quote's "Mariposa Grove" and "national
    park" gives a name no article gives, though every word of it is quoted."""
    quoted = [f" {span_key(quote)} " for quote in quotes]
    return all(any(f" {span_key(span.text)} " in quote for quote in quoted)
               for span in answer_spans(NAME, text, question, common))


def asked_clause(question: str) -> str:
    """The part of the question that asks: its last sentence, from the first wh-word on
    ("Microsoft retired Internet Explorer. What year did it debut?" -> "What year did it debut?")."""
    text = question.strip()
    spans = sentence_spans(text)  # not split at "U.S." or "Dr."
    last = text[spans[-1].start :] if spans else text
    match = _WH.search(last)
    return last[match.start():] if match else last


def asked_noun(question: str) -> str:
    """The stemmed noun a "which / what <noun>" question asks for ("Which Ivy League school announced ..." ->
    "school"); "" when it asks "who", "where", "what did ..." or the like."""
    return asked_phrase(question)[1]


def asked_phrase(question: str) -> tuple[str, str]:
    """The "which / what <noun>" phrase of the question and its stemmed noun ("Which Ivy League school announced
    ..." -> ("Which Ivy League school", "school")): a description of the answer, not of the event asked about.
    ("", "") when it asks "who", "where", "what did ..." or the like."""
    clause = asked_clause(question)
    match = re.match(rf"^{_PREPOSITION}(?:which|what)\s+(.*)$", clause,
                     re.IGNORECASE | re.DOTALL)
    if not match:
        return "", ""
    noun, end = "", 0
    for token in list(re.finditer(r"[\w'’-]+", match.group(1)))[:5]:
        low = token.group(0).lower()
        if token.group(0)[:1].isupper() or token.group(0)[:1].isdigit() or low in {"two", "three", "four", "five"}:
            continue  # "Which Ivy League school", "which U.S. official", "which two countries": modifiers
        if low in STOPWORDS or past_form(low):
            break
        if noun and low.endswith("ly") and len(low) > 4:
            break  # an adverb after the noun: "which country recently erupted" asks for a country
        noun, end = low, match.start(1) + token.end()
    return (clause[:end], stem(noun)) if noun else ("", "")


def answer_type(question: str, kind: str) -> str:
    """`NAME`, `NUMBER`, `WHEN`, `YEAR`, or "" when the answer is a description (why, how, what happened, yes/no)."""
    clause = asked_clause(question).lower()
    if kind == "quantity" or _NUMBER_PHRASE.match(clause):
        return NUMBER
    if _YEAR_PHRASE.match(clause):
        return YEAR
    if kind == "date" or _DATE_PHRASE.match(clause):
        return WHEN
    noun = asked_phrase(question)[1]
    if noun in _DESCRIPTIONS:
        return ""  # "Which type of extreme weather ...?" asks for a kind, as "What kind of tree ...?" does
    if kind in ("person", "place"):
        return NAME
    if _NAME_PHRASE.match(clause) or _GAP_NAME.search(clause):
        return NAME
    if noun and noun not in _NOT_A_KIND and _WHAT_NOUN.match(clause):
        return NAME
    if _GAP_YEAR.search(clause):
        return YEAR
    if _GAP_NUMBER.search(clause):
        return NUMBER
    return ""


def answer_spans(atype: str, sentence: str, question: str, common: Collection[str] = ()) -> list[Span]:
    """The spans of type `atype` in `sentence` that the question does not already give.

    `common`: lower-cased words seen written in lower case elsewhere (a sentence's capitalised first word
    such as "Police" is a name only when the articles never write it in lower case).
    """
    if atype == NAME:
        titles = _titles(sentence)
        found = titles + [n for n in _names(sentence, common)
                          if not any(t.start <= n.start and n.end <= t.end for t in titles)]
    elif atype == NUMBER:
        found = _amounts(sentence)
    elif atype in (WHEN, YEAR):
        found = [Span(m.group(0), m.start(), m.end()) for m in DATE.finditer(sentence)] if atype == WHEN else []
        found += [Span(m.group(0), m.start(), m.end()) for m in _YEAR.finditer(sentence)]
    else:
        return []
    asked = _given(question)
    new = []
    for span in found:
        own = [w for w in words(span.text) if w not in STOPWORDS]
        if atype == NUMBER:
            values = {float(d.replace(",", "")) for d in re.findall(r"\d[\d,]*(?:\.\d+)?", span.text)}
            values |= {m.value for m in numbers(span.text)}
            if values and values <= asked.numbers:
                continue
        elif own and (all(stem(w) in asked.stems for w in own) or _given_as(span.text, asked.terms)):
            continue
        elif (atype == NAME and len(own) > 1 and own[0] == words(span.text)[0] and _opens(sentence, span.start)
              and all(stem(w) in asked.named for w in own[1:])):
            continue  # "Repeated Covid-19 waves ...": the sentence's first word before a name the question gives
        if atype == NAME and _titled(own, asked.pairs):
            continue
        if atype == NAME and {stem(w) for w in own} <= CALENDAR_WORDS:
            continue
        if _CUT.match(sentence, span.end):
            continue  # "..., sending Nick..": a teaser cut off in the middle of the name
        new.append(span)
    return new


@dataclass(frozen=True)
class _Given:
    """What a question already gives, as `answer_spans` compares spans with it."""

    stems: frozenset[str]  # its words, stemmed
    terms: frozenset[str]  # its terms ("US" is the question's "U.S.", "United States" too)
    numbers: frozenset[float]
    pairs: frozenset[tuple[str, str]]  # two capitalised words it writes together, outside its "which ..." phrase
    named: frozenset[str]  # its words outside its "which ..." phrase, stemmed ("Covid-19", not "national park")


@lru_cache(maxsize=64)
def _given(question: str) -> _Given:
    """Computed once per question: `answer_spans` is called for every retrieved sentence, and more."""
    numbers_ = {m.value for m in numbers(question)} | {float(d) for d in re.findall(r"\d+(?:\.\d+)?", question)}
    phrase = asked_phrase(question)[0]  # "Which US National Park": what the answer is, not who the question names
    tokens = [m.group(0) for m in re.finditer(r"[\w'’.&-]+", question.replace(phrase, " ") if phrase else question)]
    pairs = {(fold(a).lower().removesuffix("'s"), fold(b).lower().removesuffix("'s"))
             for a, b in itertools.pairwise(tokens) if a[:1].isupper() and b[:1].isupper()}
    return _Given(frozenset(stem(w) for w in words(question)), frozenset(canonical_terms(question)),
                  frozenset(numbers_), frozenset(pairs), frozenset(stem(w) for w in words(" ".join(tokens))))


def _titled(own: list[str], asked_pairs: frozenset[tuple[str, str]]) -> bool:
    """Whether a name ends in two capitalised words the question writes together: the question's own person under a
    title or a longer form ("Judge Ketanji Brown Jackson" for a question about Justice Ketanji Brown Jackson). A
    name's head stands last, so a shared start ("Los Angeles Clippers" for the Los Angeles Lakers) is another."""
    last = [w.removesuffix("'s") for w in own[-2:]]
    return len(own) > 2 and tuple(last) in asked_pairs


def _given_as(span: str, asked_terms: frozenset[str]) -> bool:
    """Whether the question gives the span in other words ("US" for "U.S.", "United States" too)."""
    terms = set(canonical_terms(span))
    return bool(terms) and terms <= asked_terms


def _names(sentence: str, common: Collection[str]) -> list[Span]:
    credit = _LEADING_CREDIT.match(sentence)
    skip_to = credit.end() if credit else 0
    trailing = _TRAILING_CREDIT.search(sentence)
    stop_at = trailing.start() if trailing else len(sentence)
    tokens = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[\w'’.&-]+", sentence)]
    spans: list[Span] = []
    run: list[tuple[int, int, str]] = []

    def close() -> None:
        while run and run[-1][2].lower() in _CONNECTORS:
            run.pop()
        if run:
            spans.append(Span(sentence[run[0][0] : run[-1][1]].rstrip(".,"), run[0][0],
                              run[0][0] + len(sentence[run[0][0] : run[-1][1]].rstrip(".,"))))
        run.clear()

    previous_end = 0
    for start, end, token in tokens:
        if start < skip_to or start >= stop_at:
            continue
        if sentence[previous_end:start].strip():
            close()  # a comma, dash or bracket ends a name: "the Department of State, Ned Price"
        previous_end = end
        if (_CAPITALISED.fullmatch(token) and not _sentence_opener(sentence, start, token, common)
                and not _COMPOUND_ADJECTIVE.search(token) and not _FIRST_PERSON.fullmatch(token)):
            run.append((start, end, token))
            if token.endswith((".", ",")) and not re.fullmatch(r"(?:[A-Z]\.)+|[A-Z][a-z]{1,3}\.", token):
                close()
        elif run and token.lower() in _CONNECTORS:
            run.append((start, end, token))
        else:
            close()
    close()
    return [s for s in spans if any(c.isupper() for c in s.text)]


def _titles(sentence: str) -> list[Span]:
    """Titles in quotation marks, as news style writes a song, show or book: "Break My Soul", "Leave it to
    Beaver" (at most eight words, each longer than three letters capitalised); not quoted speech."""
    spans = []
    for match in _QUOTED.finditer(sentence):
        inner = match.group(1).rstrip(",.!?")
        tokens = inner.split()
        if 0 < len(tokens) <= _TITLE_WORDS and all(t[:1].isupper() or len(t) <= 3 or not t[:1].isalpha()
                                                   for t in tokens):
            spans.append(Span(inner, match.start(1), match.start(1) + len(inner)))
    return spans


def _sentence_opener(sentence: str, start: int, token: str, common: Collection[str]) -> bool:
    """A capitalised word that is capitalised only because it opens the sentence ("Police said ...")."""
    word = fold(token).lower().strip(".,’'")
    if word in STOPWORDS:
        return True
    return _opens(sentence, start) and word in common


def _opens(sentence: str, start: int) -> bool:
    """Whether the word at `start` opens the sentence (or a part after a colon or dash)."""
    before = sentence[:start].strip(" \"“‘'([")
    return not before or before.endswith((".", ":", "!", "?", "—", "-"))


def _amounts(sentence: str) -> list[Span]:
    """The numbers of a sentence with their units, not the years, nor the days of a date ("July 12, 2022" is
    no amount of 12)."""
    dates = [(m.start(), m.end()) for m in DATE.finditer(sentence)]
    spans = [Span(m.group(0), m.start(), m.end()) for m in _AMOUNT.finditer(sentence)
             if not _YEAR.fullmatch(m.group(0).strip()) and not any(a <= m.start() < b for a, b in dates)]
    covered = [(s.start, s.end) for s in spans] + dates
    for m in numbers(sentence):  # numbers in words: "seven", "twenty-one"
        if not any(a <= m.start < b for a, b in covered):
            spans.append(Span(m.text, m.start, m.end))
    return sorted(spans, key=lambda s: s.start)


def lower_case_words(texts: Collection[str]) -> set[str]:
    """The words these texts write in lower case somewhere: common words, not names."""
    return {fold(w).lower() for text in texts for w in re.findall(r"\b[a-z][\w'’]*", text)}


def common_words(texts: Collection[str], in_lower_case: Callable[[set[str]], set[str]] | None = None) -> set[str]:
    """The words of these texts that are no names where they open a sentence: those they write in lower case
    somewhere ("Police said ..." beside "police"), and those they capitalise only where a sentence opens that the
    corpus writes in lower case elsewhere ("However, the landmark ...", "Losing the two schools ..."), as
    `in_lower_case` tells. A word the texts also capitalise inside a sentence stays a name ("Apple" is a fruit too)."""
    inside: set[str] = set()
    openers: set[str] = set()
    for text in texts:
        for match in re.finditer(r"\b[A-Z][\w'’]*", text):
            (openers if _opens(text, match.start()) else inside).add(fold(match.group(0)).lower())
    lower = lower_case_words(texts)
    asked = {w for w in openers - inside - lower if w not in STOPWORDS}
    return lower | (in_lower_case(asked) if in_lower_case and asked else set())
