"""The question's constraints, and near misses: a sentence about the 2018 final does not answer a question
about the 2019 final, nor the men's final one about the women's.

A constraint is a modifier before a word of the question: a year ("the 2019 final"), an ordinal ("the third
quarter"), a lower-case possessive ("the women's final") or a number ("a 7.0-magnitude earthquake", "2.9 million
vehicles", "three-quarters of a percentage point": written in words, a number is one too; "Pac-12" is a name);
a year may also follow its word after "of" or "in" ("the first quarter of 2026", "the title in 2024").
A text misses it when it puts another modifier of the same class before the same word ("the 2018 final",
"second-quarter revenue", "the men's final") and never the question's own; a number may also follow its word
("magnitude 7.8"), a year after "of" or "in" ("the first quarter of 2027"). A text that says nothing either way
is not rejected here: whether it answers at all is for the candidate and relevance checks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.text import STOPWORDS, WORD, fold, numbers, ordinal_value, stem

_YEAR = re.compile(r"^(?:1[89]\d\d|20\d\d)$")
_ORDINAL_DIGITS = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_NUMBER = re.compile(r"^\d[\d,]*(?:\.\d+)?$")
# Words, and numbers kept whole: decimals ("7.0") and thousands ("1,850-year-old", "3,518 counts").
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|" + WORD.pattern)
_GAP = 2  # words allowed between the modifier and its word ("the 2019 Champions Cup final": cup)
_HALF = re.compile(r"\b(?:(?:a|one)[ -]half|half an?)\b", re.IGNORECASE)  # "a half point", "half a point"
_NAMED_NUMBER = re.compile(r"\b([A-Z][\w]*)-(\d+)\b")
_YEAR_AFTER = frozenset({"of", "in"})  # a year after its word: "the first quarter of 2026", "the title in 2024"


@dataclass(frozen=True)
class Constraint:
    kind: str  # year | ordinal | possessive | number
    value: str
    word: str  # the stemmed word it modifies


def _modifier(token: str) -> tuple[str, str] | None:
    if _YEAR.match(token):
        return ("year", token)
    if (m := _ORDINAL_DIGITS.match(token)) or ordinal_value(token.lower()) is not None:
        return ("ordinal", m.group(1) if m else str(ordinal_value(token.lower())))
    if _NUMBER.match(token):
        return ("number", str(float(token.replace(",", ""))))
    if token[:1].islower() and token.endswith("'s"):  # "Quillon's revenue" names an owner, not a qualifier
        return ("possessive", stem(token.rstrip("'").removesuffix("'s")))
    return None


def _tokens(text: str) -> list[str]:
    """The words of `text`, case kept (only lower-case possessives qualify), hyphens split ("third-quarter"); a
    number written in words is written in figures ("three-quarters of a percentage point": 0.75, as "a half
    percentage point" is 0.5), so that it constrains as one in figures does."""
    text = _HALF.sub(" 0.5 ", fold(text))
    for mention in reversed(numbers(text)):
        if not mention.text[:1].isdigit():
            text = f"{text[: mention.start]} {mention.value:g} {text[mention.end :]}"
    text = _NAMED_NUMBER.sub(r"\1\2", text)  # "Pac-12", "Covid-19": a name, whose number modifies nothing
    return [w.replace("’", "'") for w in _TOKEN.findall(text.replace("-", " "))]


def question_constraints(question: str) -> list[Constraint]:
    """The modifiers the question puts before its words ("women's final" -> possessive women, final)."""
    tokens = _tokens(question)
    out = []
    for i, token in enumerate(tokens):
        found = _modifier(token)
        if found is None:
            continue
        if found[0] == "year" and i >= 2 and tokens[i - 1].lower() in _YEAR_AFTER and _open(tokens[i - 2]):
            out.append(Constraint("year", found[1], stem(tokens[i - 2].lower())))  # "the first quarter of 2026"
        for j in range(i + 1, min(i + 2 + _GAP, len(tokens))):
            if _open(tokens[j]):
                if not (j + 1 < len(tokens) and _NUMBER.match(tokens[j + 1])):  # "two Pac-12 schools": a name
                    out.append(Constraint(found[0], found[1], stem(tokens[j].lower())))
                break
    return list(dict.fromkeys(out))


def _open(word: str) -> bool:
    """Whether a word may be modified: neither a stopword nor itself a modifier."""
    return word.lower() not in STOPWORDS and _modifier(word) is None


def _modifiers_before(tokens: list[str], word: str, kind: str) -> set[str]:
    """The values of `kind` modifiers within a few words before each occurrence of `word` (a number also just
    after it, a year after "of" or "in": "the first quarter of 2027")."""
    values = set()
    for i, token in enumerate(tokens):
        if stem(token.lower()) != word:
            continue
        after = tokens[i + 1 : i + 2] if kind == "number" else []  # "magnitude 7.8", "Game 6"
        if kind == "year" and i + 2 < len(tokens) and tokens[i + 1].lower() in _YEAR_AFTER:
            after = tokens[i + 2 : i + 3]
        for near in tokens[max(0, i - 1 - _GAP) : i] + after:
            found = _modifier(near)
            if found and found[0] == kind:
                values.add(found[1])
    return values


def misses(constraints: Sequence[Constraint], text: str, context: str = "") -> bool:
    """Whether `text` gives another year, ordinal or possessive where the question gives its own; where the
    sentence says nothing of a constraint's word, its `context` (the sentences before, the title) decides."""
    for c in constraints:
        for part in (text, context):
            seen = _modifiers_before(_tokens(part), c.word, c.kind)
            if seen:
                if c.value not in seen:
                    return True
                break
    return False
