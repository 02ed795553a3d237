"""The API's request bodies, and its responses as documented at `/docs`. Answers are sent exactly as `Answer.
to_json()` makes them (the `ask --json` contract): the models below describe them, they do not filter them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from assistant.limits import MAX_QUESTION_CHARS

MAX_CONVERSATION = 20
MAX_ANSWER_CHARS = 20_000
MAX_ARTICLES_PER_REQUEST = 100


class Turn(BaseModel):
    """An earlier exchange of the conversation: the question as it was searched, and the answer's text."""

    model_config = ConfigDict(extra="forbid")

    question: str
    answer: str = Field(default="", max_length=MAX_ANSWER_CHARS,
                        description="The `answer` text the service gave (markers and all); empty if none.")


class AskRequest(BaseModel):
    """A question, as `assistant ask` takes it."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description=f"The question (at most {MAX_QUESTION_CHARS} characters once whitespace is "
                                      "collapsed).")
    top_k: int | None = Field(default=None, ge=1, le=50, description="Passages to retrieve (default: the service's).")
    lenient: bool = Field(default=False, description="Keep unsupported sentences, marked as such.")
    conversation: list[str | Turn] = Field(
        default_factory=list, max_length=MAX_CONVERSATION,
        description="The conversation's earlier questions, oldest first, each a string or {question, answer}: a "
                    "follow-up ('and who condemned it?') is rewritten into a standalone question with them, as "
                    "`assistant chat` does; with the answers given, a pronoun stands for what the last one is about.")


class ArticleText(BaseModel):
    """One article: a file name (its suffix says how it is read: .txt, .md or .html) and its text."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="A plain file name such as report.html; never a path.")
    text: str


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleText] = Field(min_length=1, max_length=MAX_ARTICLES_PER_REQUEST)


class Citation(BaseModel):
    n: int
    source: str
    title: str
    quote: str = Field(description="Verbatim: the article's text from `start` to `end` (code points).")
    start: int
    end: int


class Sentence(BaseModel):
    text: str
    citations: list[int]
    supported: bool


class Claim(BaseModel):
    value: str
    citations: list[int]


class Conflict(BaseModel):
    about: str
    claims: list[Claim]


class AnswerModel(BaseModel):
    """The `assistant ask --json` object."""

    question: str
    answer: str
    abstained: bool
    sentences: list[Sentence]
    citations: list[Citation]
    conflicts: list[Conflict]
    confidence: float = Field(ge=0.0, le=1.0, description="how likely the answer is right (for an abstention: "
                              "1 - the withheld answer's); see docs/confidence.md")
    model: str
    timings_ms: dict[str, float]


class ErrorDetail(BaseModel):
    code: str = Field(description="bad_request, unauthorized, not_found, too_large, busy, loading, "
                                  "model_unavailable, store_unavailable, internal")
    message: str


class ErrorModel(BaseModel):
    error: ErrorDetail


class ArticleModel(BaseModel):
    id: str
    source: str
    title: str
    chunks: int
    metadata: dict[str, str]
    text: str = Field(description="The article's stored text: citations' offsets index into it as they are.")
