"""Conflicts between articles: different counts, dates, candidate answers, or one span in copies of a report."""

from __future__ import annotations

import pytest

from assistant.answer.conflicts import (
    ValueClaim,
    candidate_conflicts,
    find_conflicts,
    span_conflicts,
    spelled_alike,
)
from assistant.answer.evidence import Evidence
from assistant.answer.question import analyse_question
from assistant.answer.selection import rank_candidates
from tests.answer.samples import GUARDS_7, GUARDS_7B, POOL, ArticlesRetriever


def _cited(claims: list[ValueClaim]) -> list[tuple[str, list[str]]]:
    """Each side as shown, with the articles cited for it, in the answer's order."""
    return [(c.display, [e.article_id for e in c.evidence]) for c in claims]


def test_conflicting_counts_are_found_with_each_side() -> None:
    question = analyse_question("How many guards were injured?")
    claims = find_conflicts(question, POOL)
    values = {c.display: {e.article_id for e in c.evidence} for c in claims}
    assert values == {"seven": {"a", "d"}, "several": {"b"}, "a few": {"c"}}
    assert claims[0].display == "seven"  # most articles first


def test_agreeing_articles_are_no_conflict() -> None:
    question = analyse_question("How many guards were injured?")
    assert find_conflicts(question, [GUARDS_7, GUARDS_7B]) == []


def test_numbers_near_the_questions_words_are_no_count_of_what_it_counts() -> None:
    """"$521 million for the third quarter" is a net profit, not the revenue "How much revenue ...?" counts."""
    question = analyse_question("How much revenue did Quillon report for the third quarter?")
    profit = Evidence("a.txt", "A", "a", 0, 90, "Quillon reported a net profit of $521 million for the third quarter.")
    other = Evidence("b.txt", "B", "b", 0, 90, profit.text.replace("521", "512"))
    assert find_conflicts(question, [profit, other]) == []
    jobs = analyse_question("How many jobs is Quillon cutting in the third quarter?")
    cuts = [Evidence(n, n, n, 0, 90, f"Quillon will cut {count} jobs in the third quarter.")
            for n, count in (("c", "1,200"), ("d", "1,500"))]
    assert [c.display for c in find_conflicts(jobs, cuts)] == ["1,200 jobs", "1,500 jobs"]


def test_conflicting_dates() -> None:
    question = analyse_question("When did the attack happen?")
    sunday = Evidence("a.txt", "A", "a", 0, 50, "The attack on his residence happened early on Sunday.")
    august = Evidence("b.txt", "B", "b", 0, 50, "The attack happened in the early hours on August 7.")
    claims = find_conflicts(question, [sunday, august])
    assert sorted(c.display for c in claims) == ["August 7", "Sunday"]


def test_each_article_dates_the_asked_event_with_a_date_over_a_day_name() -> None:
    """The date nearest the question's words ("the debate on Tuesday, five days before the runoff on Sunday,
    October 18" dates the runoff to October 18), and a date over the day name of a more relevant sentence
    ("won the first round on Sunday, setting up a runoff")."""
    question = analyse_question("On what date is the mayoral runoff?")
    pool = [Evidence("a.txt", "A", "a", 0, 90, "Ferreol won the first round of the mayoral election on Sunday, "
                     "setting up a runoff."),
            Evidence("a.txt", "A", "a", 100, 160, "The two will meet in a runoff on Sunday, October 18."),
            Evidence("b.txt", "B", "b", 0, 90, "When voters return for the mayoral runoff on October 25, they "
                     "will choose."),
            Evidence("c.txt", "C", "c", 0, 90, "The debate is on Tuesday night, five days before the runoff on "
                     "Sunday, October 18.")]
    claims = find_conflicts(question, pool)
    assert [(c.display, sorted(e.article_id for e in c.evidence)) for c in claims] == [
        ("October 18", ["a", "c"]), ("October 25", ["b"])]
    # Where articles give dates, a day name alone is no side: it may be either date, or date another event.
    endorsed = Evidence("d.txt", "D", "d", 0, 90, "Krull, third in the mayoral election, on Tuesday endorsed Ferreol "
                        "for the runoff.")
    claims = find_conflicts(question, [*pool, endorsed])
    assert [c.display for c in claims] == ["October 18", "October 25"]
    # A question that asks "by when" asks a date, though it does not start with "when".
    closing = analyse_question("By when will the Merrow plant close?")
    plants = [Evidence(n, n, n, 0, 70, f"Quillon will close its Merrow plant by {d}.")
              for n, d in (("a", "June 2027"), ("b", "the end of March 2027"))]
    assert [c.display for c in find_conflicts(closing, plants)] == ["June 2027", "March 2027"]


def test_names_and_places_conflict_when_the_statements_are_parallel() -> None:
    question = analyse_question("In which city was the cup final played?")
    said = "The cup final was played in {} on Saturday before a full house."
    lorvik = Evidence("a.txt", "A", "a", 0, 60, said.format("Lorvik"))
    lorvik_b = Evidence("b.txt", "B", "b", 0, 60, said.format("Lorvik").replace("Saturday", "Saturday,"))
    saltmere = Evidence("c.txt", "C", "c", 0, 60, said.format("Saltmere"))
    claims = span_conflicts(question, [lorvik, saltmere, lorvik_b], set())
    assert {c.display: {e.article_id for e in c.evidence} for c in claims} == {"Lorvik": {"a", "b"}, "Saltmere": {"c"}}
    assert span_conflicts(question, [lorvik, lorvik_b], set()) == []


def test_two_copies_of_a_report_that_differ_in_the_answer_conflict_though_neither_is_the_best_sentence() -> None:
    """A wire story and its update ("A 101-year-old former guard ..." / "A 98-year-old former guard ..."),
    beside a third report worded otherwise that the reference comparison alone would have set against them."""
    question = analyse_question("A former guard was convicted of being an accessory to murder. How old is he?")
    best = Evidence("a.txt", "A", "a", 0, 90, "A 101-year-old man believed to be a former guard was convicted "
                                              "of being an accessory to murder.")
    copy = "Berlin (WNS) A {}-year-old former camp guard has been sentenced to five years in prison by a court."
    first = Evidence("b.txt", "B", "b", 0, 90, copy.format(101))
    update = Evidence("c.txt", "C", "c", 0, 90, copy.format(98))
    claims = span_conflicts(question, [best], set(), copies=[best, first, update])
    assert _cited(claims) == [("101", ["b"]), ("98", ["c"])]
    # Copies that agree, or reports that only look alike, are no conflict.
    assert span_conflicts(question, [best], set(), copies=[best, first, first]) == []
    other = Evidence("d.txt", "D", "d", 0, 90, "A 98-year-old former camp guard died in prison, his lawyer said.")
    assert span_conflicts(question, [best], set(), copies=[best, first, other]) == []


def test_copies_that_lead_alike_and_differ_further_down_conflict() -> None:
    """A copy that changed the answer in its second paragraph leads with the same sentence as its original: each
    article's sentences are compared, not only its most relevant ones."""
    question = analyse_question("A volcano erupted on which island of Norvia on Sunday?")
    lead = "The Velka volcano, one of Norvia's most active, erupted on Sunday, prompting evacuations in Norvia."
    later = "The Norvian Weather Agency said Velka erupted around 8 p.m. on the island of {}, hurling large rocks."
    original = [Evidence("a.txt", "A", "a", 0, 99, lead), Evidence("a.txt", "A", "a", 100, 199, later.format("Kesh"))]
    copy = [Evidence("b.txt", "B", "b", 0, 99, lead), Evidence("b.txt", "B", "b", 100, 199, later.format("Ostra"))]
    claims = span_conflicts(question, [], set(), copies=[original[0], copy[0], original[1], copy[1]])
    assert _cited(claims) == [("Kesh", ["a"]), ("Ostra", ["b"])]
    # One article's own two sentences never conflict with each other.
    other = Evidence("a.txt", "A", "a", 200, 299, later.format("Ostra"))
    assert span_conflicts(question, [], set(), copies=[original[0], original[1], other, copy[0]]) == []
    # Copies that differ on the island do not disagree on the country: for "which country", sides must be countries.
    country = analyse_question("A volcano eruption in which country prompted evacuations on Sunday?")
    assert span_conflicts(country, [], set(), copies=[original[0], copy[0], original[1], copy[1]]) == []
    # A number in figures and in words is one value; a sentence that asks states nothing.
    age = analyse_question("Vaccinations in Norvia began for which age group this week?")
    figures = Evidence("a.txt", "A", "a", 0, 99, "Children younger than 5 are the only age group not yet eligible.")
    spelled = Evidence("b.txt", "B", "b", 0, 99, figures.text.replace("5", "five"))
    assert span_conflicts(age, [], set(), copies=[figures, spelled]) == []
    asked = Evidence("c.txt", "C", "c", 0, 99, later.format("Ostra").replace(", hurling large rocks.", "?"))
    stated = Evidence("d.txt", "D", "d", 0, 99, later.format("Kesh").replace(", hurling large rocks.", "."))
    assert span_conflicts(question, [], set(), copies=[stated, asked]) == []
    # One country written two ways is one value.
    gas = analyse_question("Which country has the most expensive gas in the region?")
    dotted = Evidence("e.txt", "E", "e", 0, 99, "Drivers pay the most expensive gas prices of the region in the U.S.")
    coded = Evidence("f.txt", "F", "f", 0, 99, dotted.text.replace("the U.S.", "the USA."))
    assert span_conflicts(gas, [], set(), copies=[dotted, coded]) == []
    other = Evidence("g.txt", "G", "g", 0, 99, dotted.text.replace("the U.S.", "Canada."))
    assert [c.display for c in span_conflicts(gas, [], set(), copies=[dotted, other])][1:] == ["Canada"]


def test_copies_that_differ_in_a_word_that_is_no_name_still_conflict() -> None:
    """A disease in lower case is no name span, yet the copies disagree on what the meeting is about."""
    question = analyse_question("Which virus is making the health agency reconsider whether to declare an emergency?")
    said = "(WNS) The Health Alliance will meet to assess whether the {} outbreak is a public health emergency."
    first = Evidence("a.txt", "A", "a", 0, 90, said.format("marsh fever"))
    second = Evidence("b.txt", "B", "b", 0, 90, said.format("Kell-19"))
    claims = span_conflicts(question, [], set(), copies=[first, second])
    assert _cited(claims) == [("marsh fever", ["a"]), ("Kell-19", ["b"])]
    # Copies that differ only in a word of no asked type (the day) are no conflict.
    monday = Evidence("c.txt", "C", "c", 0, 90, "The Health Alliance said on Monday that Kell-19 is an emergency.")
    tuesday = Evidence("d.txt", "D", "d", 0, 90, monday.text.replace("Monday", "Tuesday"))
    assert span_conflicts(question, [], set(), copies=[monday, tuesday]) == []
    misspelt = Evidence("e.txt", "E", "e", 0, 90, said.format("Kel-19"))  # "Kell-19" misspelt is no other value
    assert span_conflicts(question, [], set(), copies=[second, misspelt]) == []


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


# Each article's own answer (`candidate_conflicts`): invented reports, worded differently ------------------

def _sides(question: str, sentences: list[tuple[str, str]]) -> dict[str, set[str]]:
    q = analyse_question(question)
    pool = [Evidence(f"{a}.txt", a, a, i * 100, i * 100 + len(t), t) for i, (t, a) in enumerate(sentences)]
    ranked = rank_candidates(q, [(e, 0.8) for e in pool], [e.text for e in pool], set())
    return {c.display: {e.article_id for e in c.evidence} for c in candidate_conflicts(q, ranked, pool)}


def test_reports_of_one_event_that_give_different_places_conflict_however_worded() -> None:
    sides = _sides("In which city was the cup final played?", [
        ("Port Adler Wolves beat Castellan Rovers 87-81 in the cup final, played in Lorvik on Saturday.", "a"),
        ("Castellan Rovers lost 87-81 to the Wolves in the cup final, which was played in Saltmere.", "b"),
        ("Port Adler Wolves were cheered home after the cup final, played in Lorvik, by thousands.", "c"),
    ])
    assert sides == {"Lorvik": {"a", "c"}, "Saltmere": {"b"}}


def test_an_article_that_names_both_disagrees_with_nobody() -> None:
    assert _sides("In which city was the cup final played?", [
        ("Port Adler Wolves beat Castellan Rovers 87-81 in the cup final, played in Lorvik on Saturday.", "a"),
        ("Castellan Rovers lost 87-81 to the Wolves in the cup final, which was played in Saltmere.", "b"),
        ("Saltmere had hoped to host the cup final, which was played in Lorvik instead.", "b"),
    ]) == {}


def test_two_events_are_no_conflict() -> None:
    # Each article gives another city, but nothing else of the two reports is the same: two finals.
    assert _sides("In which city was the cup final played?", [
        ("Port Adler Wolves beat Castellan Rovers 87-81 in the cup final, played in Lorvik on Saturday.", "a"),
        ("Last spring the women's cup final between Greyhaven and Tarsel was played in Saltmere.", "b"),
    ]) == {}


def test_names_must_be_shared_by_one_report_of_each_side() -> None:
    # The Tarsel sentence shares "Ida Brun" with one Hawks report and "Lorvik Oilers" with another, and nothing
    # with either alone: a sentence about the past, not a third report of Sunday's final.
    assert _sides("Which team won the Harbour Cup final?", [
        ("Alder Hawks beat the Lorvik Oilers 3-1 to win the Harbour Cup final on Sunday.", "a"),
        ("Alder Hawks won the Harbour Cup final in Saltmere, coach Ida Brun said.", "b"),
        ("Before the season, Ida Brun said the Tarsel Comets had won the Harbour Cup final more often than the "
         "Lorvik Oilers.", "c"),
    ]) == {}


def test_a_misspelt_name_is_no_conflict() -> None:
    question = "The band's new album is out this summer. What is it titled?"
    said = "The label said the album, titled {}, comes out on July 29."
    one, typo, other = (Evidence(f"{a}.txt", a, a, 0, 70, said.format(name))
                        for a, name in (("a", "Renaissance"), ("b", "Rennaisance"), ("c", "Homecoming")))
    assert span_conflicts(analyse_question(question), [one, typo], set()) == []
    assert _sides(question, [(one.text, "a"), (typo.text, "b")]) == {}
    assert [c.display for c in span_conflicts(analyse_question(question), [one, other], set())] == [
        "Renaissance", "Homecoming"]


def test_a_name_and_its_initials_are_no_conflict() -> None:
    question = "Which school will join the Harbour League?"
    assert _sides(question, [
        ("The Vantry Institute of Technology will join the Harbour League next year, the league said.", "a"),
        ("VIT will join the Harbour League next year, the league said on Friday.", "b"),
    ]) == {}
    assert spelled_alike("vantry institute of technology", "vit")
    assert not spelled_alike("vantry institute of technology", "vt")


def test_one_number_written_two_ways_is_no_conflict() -> None:
    question = "How many jobs will Quillon cut?"
    assert _sides(question, [
        ("Quillon will cut 1,200 jobs at its Merrow plant, chief executive Ines Dahl said on Friday.", "a"),
        ("Chief executive Ines Dahl said Quillon will cut 1200 jobs at the Merrow plant.", "b"),
    ]) == {}
    assert _sides(question, [
        ("Quillon will cut 1,200 jobs at its Merrow plant, chief executive Ines Dahl said on Friday.", "a"),
        ("Chief executive Ines Dahl said Quillon will cut 1,500 jobs at the Merrow plant.", "b"),
    ]) == {"1,200 jobs": {"a"}, "1,500 jobs": {"b"}}


_FINAL = {
    "agency.txt": ("Wolves win the cup", "Port Adler Wolves beat Castellan Rovers 87-81 in the cup final, played in "
                   "Lorvik on Saturday. Guard Tomas Verhallen scored 27 points."),
    "post.txt": ("Rovers fall short", "Castellan Rovers lost 87-81 to the Wolves in the cup final, which was played "
                 "in Saltmere. Their coach said the team would be back."),
    "courier.txt": ("Wolves home", "Port Adler Wolves were cheered home after the cup final, played in Lorvik, by "
                    "thousands of fans."),
}


@pytest.mark.slow
def test_the_engine_reports_each_articles_own_answer_with_both_sides_cited(seeded_session) -> None:  # type: ignore[no-untyped-def]
    draft = "The cup final was played in Lorvik [1]."
    articles = ArticlesRetriever(_FINAL)
    answer = articles.engine(seeded_session.embed_model, draft).ask("Where was the cup final played?", lenient=False)
    assert not answer.abstained and "The articles differ" in answer.answer
    assert [c.value for c in answer.conflicts[0].claims] == ["Lorvik", "Saltmere"]
    cited = {c.n: c.source for c in answer.citations}
    assert {cited[n] for n in answer.conflicts[0].claims[1].citations} == {"post.txt"}
    assert all(articles.verbatim(c) for c in answer.citations)  # verbatim, at the offsets given


def test_numbers_in_conflict_are_shown_with_what_they_count() -> None:
    sides = _sides("Balancing on one leg for how many seconds predicts a longer life, a study of Harlow found?", [
        ("A study of 1,702 adults in Harlow found that balancing on one leg for 10 seconds predicts a longer life.",
         "a"),
        ("A study of 1,702 adults in Harlow found that balancing on one leg for 12 seconds predicts a longer life.",
         "b"),
    ])
    assert sides == {"10 seconds": {"a"}, "12 seconds": {"b"}}


def test_counts_in_conflict_are_shown_with_what_they_count() -> None:
    question = analyse_question("For how many seconds did the study's adults balance on one leg?")
    ten = Evidence("a.txt", "A", "a", 0, 80, "The study's adults balanced on one leg for 10 seconds.")
    twelve = Evidence("b.txt", "B", "b", 0, 80, "The study's adults balanced on one leg for 12 seconds, it said.")
    assert sorted(c.display for c in find_conflicts(question, [ten, twelve])) == ["10 seconds", "12 seconds"]


def test_a_count_in_conflict_is_shown_with_its_unit_not_inside_a_year() -> None:
    question = analyse_question("How many people were hurt in the 2010 flood?")
    ten = Evidence("a.txt", "A", "a", 0, 80, "In the 2010 flood, 10 people were hurt.")
    twelve = Evidence("b.txt", "B", "b", 0, 80, "In the 2010 flood, 12 people were hurt.")
    assert sorted(c.display for c in find_conflicts(question, [ten, twelve])) == ["10 people", "12 people"]


def test_copies_that_differ_in_a_name_conflict_when_the_question_asks_for_no_span() -> None:
    """"What is it?" asks for no span type, yet two copies of one report that differ in one name disagree about it;
    copies that differ in more than one name, or reports merely on the same subject, do not."""
    question = analyse_question("Halvor Brenn said he regrets not using his birth name on stage. What is it?")
    assert not question.atype
    said = "\"It is still {} on my birth certificate and my passport,\" the singer told the Norvia Post on Sunday."
    original = Evidence("a.txt", "A", "a", 0, 99, said.format("Olav Tessem"))
    copy = Evidence("b.txt", "B", "b", 0, 99, said.format("Peder Lunde"))
    claims = span_conflicts(question, [], set(), copies=[original, copy])
    assert _cited(claims) == [("Olav Tessem", ["a"]), ("Peder Lunde", ["b"])]
    twice = Evidence("c.txt", "C", "c", 0, 99, said.format("Peder Lunde").replace("Norvia Post", "Kesh Herald"))
    assert span_conflicts(question, [], set(), copies=[original, twice]) == []
    other = Evidence("d.txt", "D", "d", 0, 99, "Peder Lunde sang his new song at the festival on Saturday.")
    assert span_conflicts(question, [], set(), copies=[original, other]) == []
