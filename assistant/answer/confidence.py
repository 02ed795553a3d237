"""How likely an answer is right: a logistic model over a few features of the answer, fitted on the development
set (RealTime QA weeks of 2022, see `bench/calibrate.py` and docs/confidence.md), and the threshold below which
the engine says "The articles do not say." instead.

The features are what the engine already knows when it has chosen an answer; none names a word of any article.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from assistant.answer.candidates import answer_spans
from assistant.answer.evidence import Evidence
from assistant.answer.question import Question
from assistant.answer.selection import Candidate, nearness


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
    support: float = 0.0  # the chosen candidate's support (`selection`), at most 1; 0 when untyped
    margin: float = 0.0  # how far ahead of the next candidate it is: (best - second) / best
    kind: float = 0.0  # 1 when the chosen candidate is shown to be of the asked kind (a park for "which park")

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


# Fitted by `python bench/calibrate.py` on the weeks named in docs/confidence.md (logistic regression, L2, C=1).
INTERCEPT = -1.751
WEIGHTS = {"lexical": 1.039, "cosine": 0.834, "typed": -0.696, "articles": 0.109, "drafted": -0.144, "conflict": 1.912,
           "spans": -0.451, "near": 1.580, "support": 0.809, "margin": 0.383, "kind": 0.299}


def confidence(features: Features) -> float:
    """The estimated probability that an answer with these features is right."""
    values = asdict(features)
    z = INTERCEPT + sum(weight * values[name] for name, weight in WEIGHTS.items())
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def answer_features(q: Question, best: Evidence, lexical: float, cosine: float, articles: int, picked: bool,
                    conflict: bool, common: set[str], candidates: list[Candidate] | None = None) -> Features:
    """The features of an answer whose best quote is `best` (`lexical`, `cosine`: its relevance to `q`);
    `candidates`: the ranked candidate answers, the chosen one first (typed questions)."""
    spans = answer_spans(q.atype, best.text, q.text, common) if q.atype else []
    top = candidates[0] if candidates else None
    second = candidates[1].score if candidates and len(candidates) > 1 else 0.0
    return Features(lexical=lexical, cosine=max(0.0, cosine), typed=1.0 if q.atype else 0.0,
                    articles=min(articles - 1, 2) / 2, drafted=0.0 if picked else 1.0, conflict=float(conflict),
                    spans=1 / len(spans) if spans else 0.0, near=nearness(best.text, spans, q.terms),
                    support=min(1.0, top.score) if top else 0.0,
                    margin=(top.score - second) / top.score if top and top.score > 0 else 0.0,
                    kind=float(top.kind_ok) if top else 0.0)
