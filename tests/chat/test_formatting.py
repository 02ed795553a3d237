"""Answers as the chat shows them: literal Markdown, the words that answer in bold."""

from __future__ import annotations

from assistant.answer import Answer, AnswerSentence
from assistant.chat.formatting import answer_markdown, escape_markdown, marked_markdown


def test_the_answer_span_is_bold_and_everything_else_literal() -> None:
    text = "The *Eiffel Tower* in Paris [1] is  riddled with rust."
    start = text.index("*Eiffel")
    end = text.index(" in Paris")
    assert marked_markdown(text, [(start, end)]) == (
        "The **\\*Eiffel Tower\\*** in Paris \\[1\\] is riddled with rust\\.")
    assert marked_markdown(text, []) == escape_markdown(text)
    # Marks that overlap, run past the text or cover only space are left out rather than garbling the sentence.
    assert marked_markdown(text, [(0, 3), (1, 5), (50, 90), (3, 4)]) == "**The** \\*Eiffel Tower\\* in Paris \\[1\\] " \
        "is riddled with rust\\."


def test_only_supported_sentences_carry_marks() -> None:
    sentences = [AnswerSentence("Seven guards were injured.", [1], True, [(0, 5)]),
                 AnswerSentence("Ten were flown to Paris.", [], False, [(0, 3)])]
    answer = Answer("How many?", "", False, sentences, [], [], "m", {})
    shown = answer_markdown(answer)
    assert shown.startswith("**Seven** guards were injured\\. [\\[1\\]](cite:1)")
    assert "⚠ *Ten were flown to Paris\\.* **\\[unsupported\\]**" in shown
