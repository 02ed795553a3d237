"""The values an answer gives: counts and dates in a sentence (`answer_values`), "7" and "seven" as one value
(`normalize_value`), and whether a sentence gives a value of the asked kind at all (`has_answer_value`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.lexicon import ATTRIBUTED, CALENDAR_WORDS, DATE, DAYS, QUOTATION, VAGUE
from assistant.answer.terms import canonical_terms, name_terms
from assistant.text import number_values, numbers, words

_COUNT_GAP_WORDS = 4


def answer_values(kind: str, text: str, focus: Sequence[str] = ()) -> list[str]:
    """The values of the wanted kind in `text`: quantities ("seven", "several") or dates ("Sunday", "August 7").

    With `focus` terms, a quantity counts only when one of them follows it closely ("seven of the
    guards", not "two officials"), nearest first.
    """
    if kind == "quantity":
        found = [(m.start, m.end, m.text.lower()) for m in numbers(text)]
        found += [(m.start(), m.end(), m.group(0).lower()) for m in VAGUE.finditer(text)]
        found.sort()
        if not focus:
            return [v for _, _, v in found]
        positions = [start for start, _ in _term_positions(text, focus)]
        ranked = []
        for _start, end, value in found:
            # "seven of al-Kadhimi's security guards" counts guards; "three rockets landed near the embassy"
            # does not count embassies: at most four words between the number and what it counts.
            after = [p - end for p in positions if p >= end and len(words(text[end:p])) <= _COUNT_GAP_WORDS]
            if after:
                ranked.append((min(after), value))
        return [v for _, v in sorted(ranked)]
    if kind == "date":  # nearest the question's words first: "the debate on Tuesday, five days before the runoff"
        dates = [m for m in DATE.finditer(text) if not _dates_itself(text, m)]
        if focus:
            places = _term_positions(text, focus)
            dates.sort(key=lambda m: min((_words_between(text, m.span(), p) for p in places), default=0))
        return [m.group(0) for m in dates]
    return []


_DAY = re.compile(DAYS)


def is_day_name(value: str) -> bool:
    """Whether a date is only a day of the week ("Sunday"), which may be any date."""
    return bool(_DAY.fullmatch(value))


def _dates_itself(text: str, day: re.Match[str]) -> bool:
    """Whether a day of the week is followed by its date ("Sunday, October 18"): one date, the second's."""
    following = re.match(r",?\s+", text[day.end() :])
    return (is_day_name(day.group(0)) and following is not None
            and DATE.match(text, day.end() + following.end()) is not None)


def _words_between(text: str, first: tuple[int, int], second: tuple[int, int]) -> int:
    """The words between two spans of `text` (none when they overlap)."""
    start, end = sorted((first, second))
    return len(words(text[start[1] : end[0]]))


def _term_positions(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where `text` writes one of `terms` (as `terms.canonical_terms` reads it: "people" is "person")."""
    wanted = set(terms)
    return [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z0-9']+", text)
            if not wanted.isdisjoint(canonical_terms(m.group(0)))]


def value_near_terms(kind: str, text: str, terms: Sequence[str], within: int = 8) -> bool:
    """Whether a value of the asked kind stands within `within` words of one of the question's terms
    ("survived an attempt ... on Sunday" dates the attack; "In a tweet made on Sunday, ... the attack" less so)."""
    if kind == "date":
        spans = [(m.start(), m.end()) for m in DATE.finditer(text)]
    elif kind == "quantity":
        spans = [(m.start, m.end) for m in numbers(text)] + [(m.start(), m.end()) for m in VAGUE.finditer(text)]
    else:
        return False
    places = _term_positions(text, terms)
    return any(_words_between(text, span, place) <= within for span in spans for place in places)


def normalize_value(kind: str, value: str) -> str:
    """"7" and "seven" are one value; "Aug. 7" and "August 7" too."""
    if kind == "quantity":
        vals = number_values(value)
        if vals:
            number = next(iter(vals))
            return str(int(number)) if number == int(number) else str(number)
        return value.lower()
    return re.sub(r"\s+", " ", value.replace(".", "")).strip().lower()


def has_answer_value(kind: str, text: str, focus: Sequence[str] = ()) -> bool:
    """Whether `text` holds a value of the kind the question wants (a count of the focus terms, a date, a name)."""
    if kind in ("quantity", "date"):
        return bool(answer_values(kind, text, focus))
    if kind == "person":  # a name the question did not already give
        return bool(name_terms(text) - set(focus) - CALENDAR_WORDS)
    if kind == "quote":  # someone's words: quoted, or reported ("the government said the drones ...")
        return bool(QUOTATION.search(text) or ATTRIBUTED.search(text))
    return True
