"""Text primitives shared by ingestion and citation checks: sentence spans, words, numbers."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer

# Words ending in a period that do not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "cpl", "gov", "sen", "rep",
    "st", "jr", "sr", "inc", "co", "corp", "ltd", "no", "vs", "v", "etc", "approx", "dept", "est",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "fig", "al", "pres",
}
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")  # a word, possessives and contractions kept whole
YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")  # a year written in figures, 1800-2099


@dataclass(frozen=True)
class Span:
    """A half-open range of characters in a text."""

    start: int
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at `dot` belongs to an abbreviation such as "U.S." or "Dr."."""
    begin = dot  # back over the letters and periods before it (a search on `text[:dot]` is quadratic), at most 40:
    floor = max(0, dot - 40)  # no abbreviation is longer, and a run of "a.a.a." must not make it quadratic again
    while begin > floor and (text[begin - 1] == "." or (text[begin - 1].isascii() and text[begin - 1].isalpha())):
        begin -= 1
    token = text[begin:dot]
    if not token:
        return False
    if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token):  # U.S, a.m, e.g
        return True
    if len(token) == 1 and token.isupper():  # initials: "J. Smith"
        return True
    return token.lower() in _ABBREVIATIONS


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Split `text[start:end]` into sentences; every line break ends a sentence.

    Spans are trimmed of surrounding white space and always index `text` itself.
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start, line_end = start + line.start(), start + line.end()
        cursor = line_start
        for stop in _SENTENCE_END.finditer(text, line_start, line_end):
            dot = stop.start()
            if text[dot] == "." and stop.end() - dot == 1 and _is_abbreviation(text, dot):
                continue
            if stop.end() < line_end and not _NEXT_STARTS_SENTENCE.match(text, stop.end()):
                continue
            if stop.end() < line_end and _inside_open_quote(text, cursor, stop.end(), line_end):
                continue
            spans.extend(_trimmed(text, cursor, stop.end()))
            cursor = stop.end()
        spans.extend(_trimmed(text, cursor, line_end))
    return spans


def _inside_open_quote(text: str, start: int, stop: int, line_end: int) -> bool:
    """Whether `stop` falls inside a double-quoted passage that closes later on the line."""
    piece = text[start:stop]
    if piece.count("“") > piece.count("”"):
        return text.find("”", stop, line_end) != -1
    if piece.count('"') % 2 == 1:
        return text.find('"', stop, line_end) != -1
    return False


def _trimmed(text: str, start: int, end: int) -> Iterator[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if any(ch.isalnum() for ch in text[start:end]):
        yield Span(start, end)


def normalized(text: str) -> str:
    """`text` in Unicode's composed form (NFC): an accent typed as a combining mark joins its letter, so that
    folding (here and in the keyword index) sees one letter."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1)
def _ascii_folding() -> Any:
    import tantivy

    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.ascii_fold()).build()


def fold(text: str) -> str:
    """Letters with diacritics as their ASCII letters ("Kraków" -> "Krakow", "Łódź" -> "Lodz"), case kept: the
    keyword index's own folding (tantivy's), so that the answer's checks see a name as retrieval matched it."""
    return text if text.isascii() else "".join(_ascii_folding().analyze(normalized(text)))


def words(text: str) -> list[str]:
    """Lower-cased words, folded to ASCII, with possessives and contractions kept whole."""
    return [w.lower().replace("’", "'") for w in WORD.findall(fold(text))]


STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as into onto about over after before
    than then so that this these those there here it its it's he she they them his her their our we
    you your i me my was were is are be been being am do does did done has have had having not no
    nor will would can could should may might must shall just also very more most much many some
    any all each both few other such own same too only which who whom whose what when where why how
    said says say told according while during up down out off again further once per via mr mrs ms
    s t al el against among upon toward towards through""".split()  # noqa: SIM905
)

NEGATIONS = frozenset({"not", "no", "never", "neither", "nor", "none", "nobody", "nothing", "without",
                       "didn't", "don't", "doesn't", "wasn't", "weren't", "isn't", "aren't", "won't",
                       "can't", "cannot", "couldn't", "hasn't", "haven't", "hadn't", "unharmed", "unhurt"})


_STEMMERS = threading.local()  # a Snowball stemmer keeps the word it works on in itself: one per thread


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball's English stemmer (Porter2), possessives dropped: "attended" and "attendance" are "attend"."""
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word.lower().replace("'s", "").replace("’s", "")))


def content_terms(text: str) -> list[str]:
    """Stemmed content words of `text`: stop words and citation markers removed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and not w.isdigit() and not _is_number_word(w)]


# Numbers ---------------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10}
VAGUE_QUANTITIES = ("a few", "several", "dozens", "scores", "hundreds", "thousands", "many", "some",
                    "a number of", "a handful of", "multiple", "numerous", "a couple of")
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_SCALES)
# Denominators of a fraction written in words ("two-thirds", "three quarters", "one-half"): its number is the
# share, not the count before it ("three-quarters of a point" is 0.75, not 3).
_DENOMINATORS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5,
                 "fifths": 5, "sixth": 6, "sixths": 6, "eighth": 8, "eighths": 8, "tenth": 10, "tenths": 10}
# Hyphenated, or spaced and followed by "of" or nothing ("two thirds" as an answer): "for three quarters in a row"
# counts fiscal quarters.
_DENOMINATOR_WORDS = "|".join(_DENOMINATORS)
_DENOMINATOR = re.compile(rf"(?:-({_DENOMINATOR_WORDS})\b|\s+({_DENOMINATOR_WORDS})(?=\s+of\b|\W*$))", re.IGNORECASE)


def _is_number_word(word: str) -> bool:
    return word in _NUMBER_WORDS


_NUMBER_ALTERNATIVES = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUMBER_PHRASE = re.compile(
    rf"\b(?:\d[\d,]*(?:\.\d+)?|(?:(?:{_NUMBER_ALTERNATIVES})(?:[\s-]+(?:and\s+)?(?:{_NUMBER_ALTERNATIVES}))*))\b",
    re.IGNORECASE,
)


_MONTH_BEFORE = re.compile(
    r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s+$"
)


def _words_to_number(phrase: str) -> float | None:
    total, current = 0, 0
    for token in re.split(r"[\s-]+", phrase.lower()):
        if token == "and":
            continue
        if token in _UNITS:
            current += _UNITS[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token in _SCALES:
            current = max(current, 1) * _SCALES[token]
            if _SCALES[token] >= 1000:
                total, current = total + current, 0
        else:
            return None
    return float(total + current)


@dataclass(frozen=True)
class NumberMention:
    """A number written in a text, as digits or words, with its value and position."""

    text: str
    value: float
    start: int
    end: int


# A scale word after digits is part of the number: "$4.12 billion" is 4,120,000,000, not 4.12 and a billion.
_SCALE_AFTER = re.compile(r"[ \t-]+(hundred|thousand|million|billion|trillion)\b", re.IGNORECASE)


def numbers(text: str) -> list[NumberMention]:
    """Every cardinal number in `text`: "seven", "7", "twenty-one", "1,200", "4.12 billion" (not years or times)."""
    found: list[NumberMention] = []
    taken = 0  # the end of the last number: a scale word read with the digits before it is not a number again
    for match in _NUMBER_PHRASE.finditer(text):
        if match.start() < taken:
            continue
        raw = match.group(0)
        before = text[max(0, match.start() - 1) : match.start()]
        after = text[match.end() : match.end() + 1]
        if before in (":", "/", "%") or after in (":", "/"):
            continue  # clock times, dates written 8/7, URL pieces
        if _MONTH_BEFORE.search(text, 0, match.start()):
            continue  # "August 7" is a date
        if raw.lower() == "one" and text[: match.start()].lower().endswith("no "):
            continue  # "no one" is nobody
        if raw[0].isdigit():
            try:
                value = float(raw.replace(",", ""))
            except ValueError:
                continue
            if "." not in raw and 1900 <= value <= 2100 and len(raw) == 4:
                continue  # a year, not a count
            scale = _SCALE_AFTER.match(text, match.end())
            if scale:
                value = round(value * _SCALES[scale.group(1).lower()], 2)
                found.append(NumberMention(text[match.start() : scale.end()], value, match.start(), scale.end()))
                taken = scale.end()
                continue
        else:
            parsed = _words_to_number(raw)
            if parsed is None:
                continue
            value = parsed
        end = match.end()
        fraction = _DENOMINATOR.match(text, end)
        if fraction and value < 10:  # "two-thirds": 2/3, written whole
            value = round(value / _DENOMINATORS[(fraction.group(1) or fraction.group(2)).lower()], 4)
            end = fraction.end()
        found.append(NumberMention(text[match.start() : end], value, match.start(), end))
    return found


def number_values(text: str) -> set[float]:
    """The set of numeric values mentioned in `text`."""
    return {m.value for m in numbers(text)}


def ordinal_value(word: str) -> int | None:
    return _ORDINALS.get(word.lower())
