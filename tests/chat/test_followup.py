"""The deterministic follow-up rewrite: a pronoun is resolved to what the previous answer is about; other
follow-ups, and follow-ups without an answer to look in, gain the previous question's key terms; others stay."""

from __future__ import annotations

import pytest

from assistant.answer import Answer, AnswerSentence, Citation, Claim, Conflict, analyse_question
from assistant.chat.followup import Exchange, content_words, is_followup, llm_rewrite, rewrite
from assistant.text import stem

ATTACK = "Who attacked the prime minister's residence?"

# The chat's welcome example, with the real answer the engine gives on the bundled seed articles.
GUARDS = "How many of the prime minister's guards were injured?"
GUARDS_SENTENCE = ("Two Iraqi officials (anonymous) have informed that 7 of Al-Kadhimi’s security guards were "
                   "injured in the attack.")
GUARDS_QUOTES = (
    GUARDS_SENTENCE,
    "Two Iraqi officials told The Associated Press that seven of al-Kadhimi's security guards were injured in the "
    "attack with two armed drones which occurred in Baghdad's heavily fortified Green Zone area.",
    "However, in the attack with two armed drones, several members of Kadhimi's personal protection team were "
    "injured. '",
)


def _answer(question: str, sentences: list[str], quotes: tuple[str, ...], conflict: bool = False) -> Answer:
    citations = [Citation(n, f"/news/{n}.txt", "title", quote, 0, len(quote)) for n, quote in enumerate(quotes, 1)]
    shown = [AnswerSentence(text, [1], True) for text in sentences]
    conflicts = []
    if conflict:
        shown.append(AnswerSentence('The articles differ: "seven" [1] and "several" [3].', [1, 3], True))
        conflicts = [Conflict(question, [Claim("seven", [1]), Claim("several", [3])])]
    return Answer(question, " ".join(s.text for s in shown), False, shown, citations, conflicts, "m", {})


WELCOME_HISTORY = [Exchange.of(GUARDS, _answer(GUARDS, [GUARDS_SENTENCE], GUARDS_QUOTES, conflict=True))]


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
    assert {stem(w) for w in ("condemn", "attack", "minister", "residence")} <= set(analyse_question(standalone).terms)


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


# Pronouns resolved to what the previous answer is about ----------------------------------------

def test_exchange_keeps_the_supported_answer_sentences_and_quotes_but_not_the_conflict_line() -> None:
    [exchange] = WELCOME_HISTORY
    assert exchange.question == GUARDS
    assert exchange.sentences == (GUARDS_SENTENCE,)
    assert exchange.quotes == GUARDS_QUOTES
    unsupported = _answer(GUARDS, [GUARDS_SENTENCE], GUARDS_QUOTES)
    unsupported.sentences.append(AnswerSentence("They were flown to Paris.", [], False))
    assert Exchange.of(GUARDS, unsupported).sentences == (GUARDS_SENTENCE,)


def test_welcome_example_it_is_the_event_of_the_previous_answer_not_the_previous_question() -> None:
    standalone = rewrite("and who condemned it?", WELCOME_HISTORY)
    assert standalone == "Who condemned the attack (Al-Kadhimi)?"
    assert "guard" not in standalone and "injured" not in standalone
    assert analyse_question(standalone).kind == "person"


def test_the_old_rewrite_is_what_the_welcome_example_used_to_get() -> None:
    # Without the answer, only the previous question is there to pad the follow-up with (the old failure).
    assert rewrite("and who condemned it?", [GUARDS]) == "Who condemned it (prime minister's guards injured)?"


STADIUM = "Which company bought the stadium?"
STADIUM_SENTENCE = "Harlow Group bought Tannery Park stadium in a deal worth £40 million."
STADIUM_HISTORY = [Exchange(STADIUM, (STADIUM_SENTENCE,), (STADIUM_SENTENCE,))]


def test_invented_story_it_is_the_deal_the_answer_introduced() -> None:
    standalone = rewrite("and how much did it cost?", STADIUM_HISTORY)
    assert standalone == "How much did the deal cost (Harlow Group, Tannery Park)?"
    assert analyse_question(standalone).kind == analyse_question("How much did the deal cost?").kind


def test_invented_story_that_before_a_verb_is_resolved_and_keeps_its_question_word() -> None:
    history = [Exchange("How many flights were cancelled at Orla airport?",
                        ("Forty flights were cancelled on Tuesday after the strike by baggage handlers.",))]
    standalone = rewrite("Why did that happen?", history)
    assert standalone.startswith("Why did the strike happen (")
    assert "Orla" in standalone
    assert analyse_question(standalone).kind == analyse_question("Why did the strike happen?").kind


def test_they_is_a_plural_phrase_of_the_answer() -> None:
    history = [Exchange("Who rescued the hikers?", ("Mountain rescue volunteers from Keld airlifted the hikers "
                                                   "to safety.",))]
    assert rewrite("and how many of them were there?", history) == (
        "How many of mountain rescue volunteers were there (Keld)?")
    # in the welcome example, "they" are the guards of the answer, not its (singular) attack
    assert rewrite("Where were they treated?", WELCOME_HISTORY).startswith("Where were Al-Kadhimi’s security guards")


def test_possessive_pronoun_and_a_person() -> None:
    history = [Exchange("Who leads the inquiry?", ("The inquiry is led by judge Maria Okafor, who was appointed "
                                                  "after the collapse of the bridge.",))]
    assert rewrite("What is her background?", history).startswith("What is Maria Okafor's background")
    assert rewrite("when did it happen?", history).startswith("When did the collapse happen")


def test_an_exchange_from_an_answers_text() -> None:
    text = "Seven guards were injured in the attack [1][2]. The articles differ: \"seven\" [1] and \"a few\" [2]."
    assert Exchange.from_text(GUARDS, text) == Exchange(GUARDS, ("Seven guards were injured in the attack.",))
    assert Exchange.from_text(GUARDS, "The articles do not say.") == Exchange(GUARDS)
    assert Exchange.from_text(GUARDS, "") == Exchange(GUARDS)


def test_an_abstained_or_unanswered_exchange_falls_back_to_the_previous_question() -> None:
    abstained = Answer(GUARDS, "The articles do not say.", True, [], [], [], "m", {})
    assert Exchange.of(GUARDS, abstained) == Exchange(GUARDS)
    assert Exchange.of(GUARDS, None) == Exchange(GUARDS)
    expected = "Who condemned it (prime minister's guards injured)?"
    assert rewrite("and who condemned it?", [Exchange.of(GUARDS, abstained)]) == expected


def test_other_followups_keep_their_behaviour_with_an_answer() -> None:
    assert rewrite("what about the civilians?", WELCOME_HISTORY) == (
        "How many of the prime minister's guards were injured, and what about the civilians?")
    assert rewrite("and the guards?", STADIUM_HISTORY) == "Which company bought the stadium, and the guards?"
    assert rewrite("When?", WELCOME_HISTORY) == "When (prime minister's guards injured)?"
    assert rewrite("Who condemned the drone attack on Baghdad?", WELCOME_HISTORY) == (
        "Who condemned the drone attack on Baghdad?")


def test_a_pronoun_the_answer_gives_nothing_for_falls_back_to_the_previous_question() -> None:
    history = [Exchange("When did the stadium open?", ("The stadium opened in 1998.",))]
    assert rewrite("Who owns it?", history) == "Who owns it (stadium open)?"
    # "it" is never a name of the answer: here it is the final the question asked about, and Lorvik is what the
    # follow-up asks for (a name given in the question would be no answer to it)
    history = [Exchange("Which team won the cup final?", ("Port Adler Wolves beat Castellan Rovers 87-81 in the "
                                                         "cup final in Lorvik on Saturday.",))]
    assert rewrite("Where was it played?", history) == "Where was it played (team won cup final)?"


class _Recorder:
    def __init__(self) -> None:
        self.prompts: list[str] = []

    def complete(self, prompt: str) -> object:
        self.prompts.append(prompt)
        return type("R", (), {"text": "Who condemned the attack on the prime minister's residence?"})()


def test_llm_rewrite_is_shown_the_previous_answer() -> None:
    llm = _Recorder()
    assert llm_rewrite(llm, "and who condemned it?", WELCOME_HISTORY) == (
        "Who condemned the attack on the prime minister's residence?")
    [prompt] = llm.prompts
    assert GUARDS in prompt and GUARDS_SENTENCE in prompt
    assert "The articles differ" not in prompt
    # with a failing model, the deterministic rewrite of the same history
    assert llm_rewrite(_LLM(RuntimeError("offline")), "and who condemned it?", WELCOME_HISTORY) == (
        "Who condemned the attack (Al-Kadhimi)?")
