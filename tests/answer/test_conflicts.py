"""Answer values (counts, dates) and the conflicts between articles that give different ones."""

from __future__ import annotations

from assistant.answer.conflicts import answer_values, find_conflicts, span_conflicts, value_near_terms
from assistant.answer.evidence import Evidence
from assistant.answer.question import analyse_question
from tests.answer.samples import GUARDS_7, GUARDS_7B, GUARDS_SEVERAL, POOL


def test_conflicting_counts_are_found_with_each_side() -> None:
    question = analyse_question("How many guards were injured?")
    claims = find_conflicts(question, POOL)
    values = {c.display: {e.article_id for e in c.evidence} for c in claims}
    assert values == {"seven": {"a", "d"}, "several": {"b"}, "a few": {"c"}}
    assert claims[0].display == "seven"  # most articles first


def test_agreeing_articles_are_no_conflict() -> None:
    question = analyse_question("How many guards were injured?")
    assert find_conflicts(question, [GUARDS_7, GUARDS_7B]) == []


def test_conflicting_dates() -> None:
    question = analyse_question("When did the attack happen?")
    sunday = Evidence("a.txt", "A", "a", 0, 50, "The attack on his residence happened early on Sunday.")
    august = Evidence("b.txt", "B", "b", 0, 50, "The attack happened in the early hours on August 7.")
    claims = find_conflicts(question, [sunday, august])
    assert sorted(c.display for c in claims) == ["August 7", "Sunday"]


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


def test_names_and_places_conflict_when_the_statements_are_parallel() -> None:
    question = analyse_question("In which city was the cup final played?")
    said = "The cup final was played in {} on Saturday before a full house."
    lorvik = Evidence("a.txt", "A", "a", 0, 60, said.format("Lorvik"))
    lorvik_b = Evidence("b.txt", "B", "b", 0, 60, said.format("Lorvik").replace("Saturday", "Saturday,"))
    saltmere = Evidence("c.txt", "C", "c", 0, 60, said.format("Saltmere"))
    claims = span_conflicts(question, [lorvik, saltmere, lorvik_b], set())
    assert {c.display: {e.article_id for e in c.evidence} for c in claims} == {"Lorvik": {"a", "b"}, "Saltmere": {"c"}}
    assert span_conflicts(question, [lorvik, lorvik_b], set()) == []


def test_different_statements_with_different_names_are_no_conflict() -> None:
    question = analyse_question("In which city was the cup final played?")
    final = Evidence("a.txt", "A", "a", 0, 60, "The cup final was played in Lorvik on Saturday before a full house.")
    other = Evidence("b.txt", "B", "b", 0, 60, "Fans from Saltmere travelled by train to watch the cup final.")
    assert span_conflicts(question, [final, other], set()) == []
    assert span_conflicts(analyse_question("Why was the final delayed?"), [final, other], set()) == []
    # Much in common, but the names stand in different places: two statements, not one with two values.
    agency = analyse_question("Which agency did the officials speak to?")
    told = Evidence("a.txt", "A", "a", 0, 60, "The two officials spoke to Harbour Press about the attack.")
    other = Evidence("b.txt", "B", "b", 0, 60, "Delmar's two officials spoke about the attack.")
    assert span_conflicts(agency, [told, other], set()) == []
