"""A question as `ask` takes it: control characters made spaces, whitespace collapsed, and refused (not cut) when
empty or too long. One function for the command line and the service, so that the same question gets the same
answer through both."""

from __future__ import annotations

import re

from assistant.errors import UserError
from assistant.limits import MAX_QUESTION_CHARS, MAX_QUESTION_TOKENS

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_question(question: str, count_pieces: bool = True) -> str:
    """`question` on one line with single spaces; `UserError` when it is empty or over the limits (characters,
    then, unless `count_pieces` is false, the embedding model's word-pieces: scripts other than Latin take several
    per character; a client of the service leaves that count to the service, which has the tokenizer loaded)."""
    question = " ".join(CONTROL.sub(" ", question).split())
    if not question:
        raise UserError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise UserError(f"the question is too long ({len(question)} characters; at most {MAX_QUESTION_CHARS})")
    if not count_pieces:
        return question
    from assistant.runtime import count_minilm_tokens

    pieces = count_minilm_tokens(question)
    if pieces > MAX_QUESTION_TOKENS:
        raise UserError(f"the question is too long ({pieces} word-pieces; at most {MAX_QUESTION_TOKENS})")
    return question
