"""The answer: the LLM drafts from retrieved passages (`prompts`), every sentence is checked against verbatim
quotes (`citations`), disagreements between articles are found, and `engine` puts it together; `Session` ties
the answer path to a store."""

from assistant.answer.citations import (
    ABSTAIN_TEXT,
    AnswerSentence,
    Citation,
    Claim,
    Conflict,
    Evidence,
    analyse_question,
    check_support,
)
from assistant.answer.engine import KEYWORD_INDEX_STEP, Answer, Engine, Session, open_session

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
]
