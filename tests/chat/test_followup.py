"""The deterministic follow-up rewrite: follow-ups gain the previous question's key terms, others stay."""

from __future__ import annotations

import pytest

from assistant.answer import analyse_question
from assistant.chat.followup import content_words, is_followup, llm_rewrite, rewrite

ATTACK = "Who attacked the prime minister's residence?"


@pytest.mark.parametrize("question", [
    "and who condemned it?", "When?", "What about the guards?", "Did he survive?", "Who said that?",
    "Why did that happen?", "how many of them were hurt?", "And where?",
])
def test_followups_are_detected(question: str) -> None:
    assert is_followup(question)


@pytest.mark.parametrize("question", [
    "How many guards were injured?", "Who condemned the drone attack on Baghdad?",
    "Who said that the attack was cowardly?", "Where is the Green Zone?",
])
def test_standalone_questions_are_not_followups(question: str) -> None:
    assert not is_followup(question)
    assert rewrite(question, [ATTACK]) == question


def test_pronoun_followup_gets_previous_key_terms_and_keeps_its_question_word() -> None:
    standalone = rewrite("and who condemned it?", [ATTACK])
    assert standalone == "Who condemned it (attacked prime minister's residence)?"
    assert analyse_question(standalone).kind == "person"
    assert {"condemn", "attack", "minister", "residenc"} <= set(analyse_question(standalone).terms)


def test_bare_followup_without_content_noun() -> None:
    standalone = rewrite("When?", ["How many guards were injured in the drone attack?"])
    assert standalone == "When (guards injured drone attack)?"
    assert analyse_question(standalone).kind == "date"


def test_what_about_reasks_the_previous_question() -> None:
    standalone = rewrite("what about the civilians?", ["How many guards were injured?"])
    assert standalone == "How many guards were injured, and what about the civilians?"
    assert analyse_question(standalone).kind == "quantity"


def test_uses_the_latest_standalone_question_and_does_not_repeat_terms() -> None:
    history = [ATTACK, "Who condemned it (attacked prime minister's residence)?"]
    standalone = rewrite("Did they offer help with the attack?", history)
    assert standalone.startswith("Did they offer help with the attack (")
    assert standalone.count("attack") == 1  # "attacked" is already asked about
    assert "condemned" in standalone


def test_no_history_or_empty_question_unchanged() -> None:
    assert rewrite("and who condemned it?", []) == "and who condemned it?"
    assert rewrite("  ", [ATTACK]) == ""


def test_content_words_keep_names_as_written() -> None:
    assert content_words("Did Ned Price condemn the attack?") == ["Ned", "Price", "condemn", "attack"]


class _LLM:
    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply

    def complete(self, prompt: str) -> object:
        if isinstance(self.reply, Exception):
            raise self.reply
        return type("R", (), {"text": self.reply})()


def test_llm_rewrite_uses_the_model_and_falls_back() -> None:
    good = "Who condemned the drone attack on the prime minister's residence?"
    assert llm_rewrite(_LLM(good), "and who condemned it?", [ATTACK]) == good
    deterministic = rewrite("and who condemned it?", [ATTACK])
    assert llm_rewrite(_LLM(RuntimeError("offline")), "and who condemned it?", [ATTACK]) == deterministic
    assert llm_rewrite(_LLM("Sure! Here you go"), "and who condemned it?", [ATTACK]) == deterministic
    assert llm_rewrite(_LLM(good), "How many guards were injured?", [ATTACK]) == "How many guards were injured?"
