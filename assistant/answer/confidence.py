"""How likely an answer is right: a logistic model over a few features of the answer, fitted on the development
set (RealTime QA weeks of 2022, see `bench/calibrate.py` and docs/confidence.md), and the threshold below which
the engine says "The articles do not say." instead.

The features are what the engine already knows when it has chosen an answer; none names a word of any article.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from assistant.answer.candidates import Span, answer_spans
from assistant.answer.evidence import Evidence
from assistant.answer.question import Question
from assistant.answer.terms import canonical_terms


@dataclass(frozen=True)
class Features:
    """What an answer's confidence is computed from, each in 0..1."""

    lexical: float  # the share of the question's terms its best quote (and the sentences before) holds
    cosine: float  # embedding similarity of the question and its best quote
    typed: float  # 1 when the question asks for a name, number or date (and the answer holds one)
    articles: float  # distinct articles cited, 1, 2, 3 or more as 0, 0.5, 1
    drafted: float  # 1 when the model's own sentence was supported as written, 0 when the engine picked a quote
    conflict: float  # 1 when the articles disagree and the answer says so
    spans: float  # 1 / the number of spans of the asked type in the quote (0 when untyped): one name is no choice
    near: float  # how close the nearest such span stands to a word of the question: 1 adjacent, 0 ten words away

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


# Fitted by `python bench/calibrate.py` on the weeks named in docs/confidence.md (logistic regression, L2, C=1).
INTERCEPT = -1.977
WEIGHTS = {"lexical": 1.075, "cosine": 1.054, "typed": -0.293, "articles": 0.939, "drafted": 0.108, "conflict": 0.604,
           "spans": 0.295, "near": 0.282}


def confidence(features: Features) -> float:
    """The estimated probability that an answer with these features is right."""
    values = asdict(features)
    z = INTERCEPT + sum(weight * values[name] for name, weight in WEIGHTS.items())
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def answer_features(q: Question, best: Evidence, lexical: float, cosine: float, articles: int, picked: bool,
                    conflict: bool, common: set[str]) -> Features:
    """The features of an answer whose best quote is `best` (`lexical`, `cosine`: its relevance to `q`)."""
    spans = answer_spans(q.atype, best.text, q.text, common) if q.atype else []
    return Features(lexical=lexical, cosine=max(0.0, cosine), typed=1.0 if q.atype else 0.0,
                    articles=min(articles - 1, 2) / 2, drafted=0.0 if picked else 1.0, conflict=float(conflict),
                    spans=1 / len(spans) if spans else 0.0, near=_nearness(best.text, spans, q.terms))


def _nearness(text: str, spans: Sequence[Span], terms: Sequence[str], reach: int = 10) -> float:
    """1 - (words between a span and the nearest question term) / `reach`, at least 0."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[\w'’]+", text)]
    at = [i for i, (_, _, w) in enumerate(tokens) if set(canonical_terms(w)) & set(terms)]
    gaps = []
    for span in spans:
        inside = [i for i, (start, end, _) in enumerate(tokens) if start < span.end and end > span.start]
        if inside and at:
            gaps.append(min(max(0, min(abs(i - j) for j in inside) - 1) for i in at))
    return max(0.0, 1 - min(gaps) / reach) if gaps else 0.0
