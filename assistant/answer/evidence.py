"""What an answer is made of: the article sentences that may support it (`Evidence`), each draft sentence
with the evidence found for it (`CheckedSentence`), and the parts of the answer shown to the user
(`Citation`, `AnswerSentence`, and `Conflict` between `Claim`s)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from assistant.answer.terms import name_words

ABSTAIN_TEXT = "The articles do not say."


@dataclass(frozen=True)
class Evidence:
    """A sentence of an article that may support a claim; `text == article_text[start:end]`."""

    source: str
    title: str
    article_id: str
    start: int
    end: int
    text: str
    relevance: float = 0.0
    context: str = ""  # what "he" or "they" refers to: the sentences before it and the title; never quoted
    passage: str = ""  # the retrieved passage the sentence stands in; never quoted
    neighbour: bool = False  # its passage is one beside a retrieved one: evidence, not a basis of term weights
    stale: bool = False  # months older than the newest news, for a question that names no time (`recency.mark_stale`)
    published: dt.date | None = None  # its article's day, for a question that names a year (`recency.date_reports`)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.article_id, self.start, self.end)

    @property
    def text_in_context(self) -> str:
        return f"{self.context} {self.text}" if self.context else self.text

    @property
    def text_in_passage(self) -> str:
        """The sentence with its article's title and the passage around it: where the event it tells of is named
        ("Shmyhal provided the $750 billion figure" two sentences after "... sits at $750 billion")."""
        return f"{self.title} {self.passage or self.context} {self.text}"

    @property
    def text_with_referents(self) -> str:
        """The sentence plus the names its context gives ("he" may be Al-Kadhimi), not the context's other words."""
        return f"{self.text} {' '.join(name_words(self.context))}" if self.context else self.text


@dataclass
class Citation:
    n: int
    source: str
    title: str
    quote: str
    start: int
    end: int


@dataclass
class AnswerSentence:
    text: str
    citations: list[int]
    supported: bool
    # The answer within `text`, (start, end) of each span of the asked kind that gives it: the chat marks them.
    # Not in the `ask --json` contract (`Answer.to_json`).
    marks: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "citations": self.citations, "supported": self.supported}


@dataclass
class Claim:
    value: str
    citations: list[int]


@dataclass
class Conflict:
    about: str
    claims: list[Claim]


@dataclass
class CheckedSentence:
    """A sentence of the draft and the evidence that supports it (empty when none does)."""

    text: str
    evidence: list[Evidence] = field(default_factory=list)
    cited_by_model: list[int] = field(default_factory=list)
    repaired: bool = False  # the model cited wrongly or not at all, and support was found elsewhere
    picked: bool = False  # not the model's sentence: a source sentence the engine chose as the answer

    @property
    def supported(self) -> bool:
        return bool(self.evidence)
