"""The values a sentence gives for the asked kind: counts of the counted thing, dates near the asked event."""

from __future__ import annotations

from assistant.answer.question import analyse_question
from assistant.answer.values import answer_values, value_near_terms
from tests.answer.samples import GUARDS_7, GUARDS_SEVERAL


def test_a_count_must_be_of_the_counted_thing() -> None:
    embassies = analyse_question("How many embassies are in the Green Zone?")
    rockets = "Three Katyusha rockets landed near the U.S. embassy in Baghdad on November 1."
    assert answer_values("quantity", rockets, embassies.counted) == []
    guards = analyse_question("How many guards were injured?")
    assert answer_values("quantity", GUARDS_SEVERAL.text, guards.counted) == ["several"]
    assert answer_values("quantity", GUARDS_7.text, guards.counted) == ["seven"]


def test_a_date_near_the_asked_event_is_preferred() -> None:
    question = analyse_question("When did the attack happen?")
    near = "Al-Kadhimi survived an assassination attempt with armed drones that targeted his residence early Sunday."
    far = ("In a tweet made on Sunday, the Secretary of Iran's national security council, Ali Shamkhani, "
           "indirectly said that the United States was behind the attack.")
    assert value_near_terms(question.kind, near, question.terms)
    assert not value_near_terms(question.kind, far, question.terms)


def test_a_month_with_its_year_is_a_date_wherever_it_stands() -> None:
    assert answer_values("date", "The plant will close by June 2027, the union said.") == ["June 2027"]
    assert answer_values("date", "It will close by the end of March 2027.") == ["March 2027"]
    assert answer_values("date", "Shares may rise; it may 2027 be.") == []  # "may" is a verb
