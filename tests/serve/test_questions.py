"""One cleaning of questions for `ask` and the service."""

from __future__ import annotations

import pytest

from assistant.errors import UserError
from assistant.limits import MAX_QUESTION_CHARS
from assistant.serve import clean_question


def test_control_characters_and_runs_of_whitespace_become_single_spaces() -> None:
    assert clean_question("  How many\tguards\x1b[31m were\n\ninjured? ", count_pieces=False) == (
        "How many guards [31m were injured?")


@pytest.mark.parametrize("question", ["", "   ", "\x00\x07\n"])
def test_an_empty_question_is_refused(question: str) -> None:
    with pytest.raises(UserError, match="empty"):
        clean_question(question, count_pieces=False)


def test_a_long_question_is_refused_not_cut() -> None:
    with pytest.raises(UserError, match=f"at most {MAX_QUESTION_CHARS}"):
        clean_question("why " * MAX_QUESTION_CHARS, count_pieces=False)
