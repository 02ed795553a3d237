"""The answer: the LLM drafts from retrieved passages (`prompts`) and cites them with [n] markers (`markers`);
every sentence is checked against verbatim quotes (`support`), the question is analysed for what it asks
(`question`), the best-supported candidate answer is chosen (`selection`), disagreements between articles are
found (`conflicts`), and `engine` puts it together; `Session`
ties the answer path to a store. An answer's data classes are in `evidence`, the hand-built word lists in
`lexicon`, and the terms that claims, quotes and questions are compared by in `terms`."""

from assistant.answer.engine import KEYWORD_INDEX_STEP, Answer, Engine, Session, open_session
from assistant.answer.evidence import (
    ABSTAIN_TEXT,
    AnswerSentence,
    Citation,
    Claim,
    Conflict,
    Evidence,
)
from assistant.answer.markers import parse_markers
from assistant.answer.question import analyse_question
from assistant.answer.selection import question_marks
from assistant.answer.support import check_support

__all__ = [
    "ABSTAIN_TEXT",
    "KEYWORD_INDEX_STEP",
    "Answer",
    "AnswerSentence",
    "Citation",
    "Claim",
    "Conflict",
    "Engine",
    "Evidence",
    "Session",
    "analyse_question",
    "check_support",
    "open_session",
    "parse_markers",
    "question_marks",
]
