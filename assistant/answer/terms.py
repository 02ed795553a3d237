"""The terms a claim, a quote and a question are compared by: content words with synonyms folded, and names.

Shared by `support` (is a claim in the quotes?), `question` (is a sentence about the question?) and
`conflicts` (which value does an article give?), so that all three see a text the same way.
"""

from __future__ import annotations

import re

from assistant.answer.lexicon import ALIASES, CANONICAL, COMMON_CAPITALISED, IRREGULAR_FORMS, TOLD
from assistant.text import STOPWORDS, fold, number_values, sentence_spans, stem, words


def canonical_terms(text: str) -> list[str]:
    """Content terms with synonyms folded together ("wounded" and "injured" become one term)."""
    for pattern, alias in ALIASES:
        text = pattern.sub(alias, text)
    terms = []
    for word in words(text):
        if word in TOLD:  # "officials told AP" answers "which agency did officials speak to?"
            terms.append("speak")
            continue
        if word in STOPWORDS or word.isdigit() or number_values(word):
            continue
        term = stem(IRREGULAR_FORMS.get(word, word))
        terms.append(CANONICAL.get(term, term))
    return terms


def name_terms(text: str) -> set[str]:
    """Capitalised words that are not at the start of a sentence: names, places, days, months (folded to ASCII, as
    `words` folds them)."""
    return {stem(word.lower().replace("al-", "")) for word in name_words(fold(text))}


def name_words(text: str) -> list[str]:
    """The capitalised words of `text` as written, sentence openers and common capitalised words left out."""
    found = []
    for span in sentence_spans(text) or []:
        sentence = text[span.start : span.end]
        for match in re.finditer(r"\b[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*\b", sentence):
            if match.start() == 0 or sentence[: match.start()].strip() in ('"', "“", "'"):
                continue
            if match.group(0).lower() not in COMMON_CAPITALISED:
                found.append(match.group(0))
    return found
