"""Question analysis: the kind of answer wanted, the terms that matter, and the speaker of a quote question."""

from __future__ import annotations

from assistant.answer.question import (
    Question,
    analyse_question,
    asked_spans,
    holds_names,
    of_asked_unit,
    speaker_named,
)
from assistant.answer.values import has_answer_value
from assistant.text import stem


def test_question_kind_and_terms_for_paraphrased_questions() -> None:
    date = analyse_question("On what date was Iraq's parliamentary election held?")
    assert date.kind == "date"
    # "held" says nothing about which sentence
    assert set(date.terms) == {stem("iraq"), stem("parliamentary"), stem("election")}
    agency = analyse_question("Which news agency did the two Iraqi officials speak to?")
    assert agency.kind == "person"
    assert "speak" in agency.terms and not {"news", "agency", "agenc"} & set(agency.terms)
    job = analyse_question("What job did Al-Kadhimi hold before he became prime minister?")
    assert not {"job", "hold"} & set(job.terms)
    share = analyse_question("What share of their seats did the militias lose in the election?")
    assert "share" not in share.terms and "seat" in share.terms
    # "who" asked after a preposition inside the question; after a noun it asks nothing.
    assert analyse_question("The coach resigned on Monday, making way for whom to lead the Wolves?").kind == "person"
    assert analyse_question("The player who scored twice left on which day?").kind != "person"
    assert analyse_question("The club whose coach resigned plays in which league?").kind != "person"


def test_quote_questions_name_their_speaker() -> None:
    question = analyse_question("How did the U.S. State Department describe the attack?")
    assert question.kind == "quote" and set(question.speaker) == {"usa", stem("department")}
    president = analyse_question("What did Iraq's president say about the attack?")
    assert not speaker_named(president, '"We are in close touch with the Iraqi security forces," Ned Price said.')
    kadhimi = analyse_question("What did Al-Kadhimi say on television about the attack?")
    assert speaker_named(kadhimi, "Mustafa Al-Kadhimi appeared on television. \"Cowardly attacks,\" he said.")
    assert has_answer_value("quote", '"Cowardly rocket and drone attacks don\'t build homelands," he said.')
    assert has_answer_value("quote", "The government said the drones tried to hit al-Kadhimi's home.")
    assert not has_answer_value("quote", "The US State Department condemned the attack and offered assistance.")


def test_questions_that_place_their_event_in_the_present_are_recent() -> None:
    for question in ("Which team won the final this week?", "Who resigned on Tuesday?", "What did she say today?",
                     "Which company recently cut prices?", "How many people were evacuated last night?"):
        assert analyse_question(question).recent, question
    for question in ("Which team won the 2019 final?", "Who was president in 1990?", "What happened in the week "
                     "after the election?", "Which week did the strike start?"):
        assert not analyse_question(question).recent, question


def test_a_sentence_must_give_the_questions_names_but_not_those_that_describe_the_answer() -> None:
    london = analyse_question("Which virus was detected in sewage samples in London?")
    assert not holds_names(london, "Researchers in Tempe detected COVID-19 in sewage samples.")
    assert holds_names(london, "Polio was detected in sewage samples in London.")
    ivy = analyse_question("Which Ivy League school announced it will eliminate student loans?")
    assert holds_names(ivy, "Dartmouth College announced it was eliminating student loans.")  # the answer's kind
    assert not holds_names(analyse_question("Which school in Ohio dropped loans?"), "Harlow in Maine dropped loans.")


def test_a_number_answers_only_in_the_asked_unit() -> None:
    sentence = "Aldo Verrano and Mira Kest are divorcing after six years of marriage, their agents said."
    times = analyse_question("How many times has Aldo Verrano been divorced?")
    assert asked_spans(times, sentence) == []  # six years count no divorces
    years = analyse_question("How many years were Aldo Verrano and Mira Kest married?")
    assert [s.text for s in asked_spans(years, sentence)] == ["six"]
    killed = analyse_question("How many people were killed in the storm?")
    assert [s.text for s in asked_spans(killed, "One person was killed and 12 were hurt.")] == ["One", "12"]
    assert asked_spans(killed, "Two houses were destroyed.") == []
    assert asked_spans(analyse_question("Why did they part?"), sentence) == []  # an untyped question asks no span
    assert analyse_question("How many guards were hurt?").counted == ("guard",)
    # The counted thing ends at the question's verb; a first word in "-ed" is an adjective.
    assert analyse_question("How many people attended the men's final?").counted == ("person",)
    assert analyse_question("How many armed men stormed the hall?").counted == (stem("armed"), "man")
    # A number after the counting verb or its noun counts what was asked, unless a noun of its own follows.
    attended = analyse_question("How many people attended the men's final?")
    assert _of_unit(attended, "The attendance of 18,200 in Lorvik was a record.") == ["18,200"]
    assert _of_unit(attended, "The Wolves won 87-81 in the men's final.") == []  # no count of the final
    assert _of_unit(killed, "The blast killed 12 and injured 30.") == ["12"]
    assert _of_unit(killed, "The blast killed 2 soldiers.") == []
    watched = analyse_question("How many spectators watched the women's final?")
    assert _of_unit(watched, "A crowd of 11,400 watched the women's final.") == ["11,400"]
    # A share is a percentage or a fraction.
    share = analyse_question("What share of their seats did the parties lose?")
    assert _of_unit(share, "They lost around two-thirds of their 40 seats.") == ["two-thirds"]
    aid = analyse_question("How much has the council approved in flood aid?")  # what follows "has" is no unit
    assert aid.counted == ()
    assert [s.text for s in asked_spans(aid, "The council approved £4 million.")] == ["£4 million"]


def _of_unit(question: Question, sentence: str) -> list[str]:
    return [s.text for s in asked_spans(question, sentence) if of_asked_unit(question, s, sentence)]
