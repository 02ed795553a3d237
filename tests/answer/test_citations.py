"""The verifier, the marker parser and conflict detection, on hand-built evidence."""

from __future__ import annotations

from assistant.answer.citations import (
    Evidence,
    analyse_question,
    check_support,
    find_conflicts,
    parse_markers,
    split_draft,
    verify_sentences,
)

GUARDS_7 = Evidence(
    "a.txt",
    "A",
    "a",
    10,
    90,
    "Two Iraqi officials told the media that seven of Al Kadhimi's security guards were injured.",
)
GUARDS_7B = Evidence(
    "d.txt",
    "D",
    "d",
    5,
    60,
    "Two Iraqi officials have informed that 7 of Al-Kadhimi's security guards were injured in the attack.",
)
GUARDS_SEVERAL = Evidence(
    "b.txt", "B", "b", 0, 80, "However, several members of Kadhimi's personal protection team were injured."
)
GUARDS_FEW = Evidence(
    "c.txt", "C", "c", 0, 70, "A booby-trapped drone targeted that location, wounding a few of his residence guards."
)
PRICE = Evidence("a.txt", "A", "a", 100, 160, '"We strongly condemn it," spokesman Ned Price said in a statement.')
POOL = [GUARDS_7, GUARDS_SEVERAL, GUARDS_FEW, PRICE, GUARDS_7B]


def test_parse_markers_in_common_shapes() -> None:
    assert parse_markers("Seven guards were injured [1][3].") == ("Seven guards were injured.", [1, 3])
    assert parse_markers("Seven guards were injured [1, 2].") == ("Seven guards were injured.", [1, 2])
    assert parse_markers("It happened on Sunday (Source 2).") == ("It happened on Sunday.", [2])
    assert parse_markers("No markers here.") == ("No markers here.", [])
    assert split_draft("Answer: Seven were hurt. [1] Price condemned it [4].") == [
        "Seven were hurt [1].",
        "Price condemned it [4].",
    ]


def test_supported_sentence() -> None:
    assert check_support("Seven of Al Kadhimi's security guards were injured.", [GUARDS_7.text]).ok


def test_wrong_number_is_not_supported() -> None:
    assert not check_support("Eight of Al Kadhimi's security guards were injured.", [GUARDS_7.text]).ok
    assert not check_support("8 of Al Kadhimi's security guards were injured.", [GUARDS_7.text]).ok
    assert check_support("7 of Al Kadhimi's security guards were injured.", [GUARDS_7.text]).ok


def test_unsupported_claims_are_rejected() -> None:
    assert not check_support("The attack was carried out by the United States.", [GUARDS_7.text, PRICE.text]).ok
    assert not check_support("Ali Shamkhani condemned it in a statement.", [PRICE.text]).ok  # wrong name
    assert not check_support("Seven of Al Kadhimi's security guards were not injured.", [GUARDS_7.text]).ok


def test_question_terms_must_be_in_the_quote() -> None:
    claim = "The drone operator was the US Calls the Drone Strike."
    quote = "US Calls the Drone Strike as an 'Act of Terrorism'"
    assert not check_support(claim, [quote], question="What was the name of the drone operator?").ok


def test_wrong_citation_is_repaired_and_missing_one_found() -> None:
    sources = [PRICE, GUARDS_7]
    checked = verify_sentences(
        "Seven of Al Kadhimi's security guards were injured [1]. Ned Price condemned it.", sources, POOL
    )
    assert [c.supported for c in checked] == [True, True]
    assert checked[0].repaired and checked[0].evidence[0] in (GUARDS_7, GUARDS_7B)
    assert checked[1].evidence == [PRICE]


def test_unsupported_sentence_has_no_evidence() -> None:
    checked = verify_sentences("The attack killed twelve people [2].", [GUARDS_7, PRICE], POOL)
    assert len(checked) == 1 and not checked[0].supported


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


def test_question_kind_and_terms_for_paraphrased_questions() -> None:
    date = analyse_question("On what date was Iraq's parliamentary election held?")
    assert date.kind == "date"
    assert set(date.terms) == {"iraq", "parliamentary", "election"}  # "held" says nothing about which sentence
    agency = analyse_question("Which news agency did the two Iraqi officials speak to?")
    assert agency.kind == "person"
    assert "speak" in agency.terms and not {"news", "agency", "agenc"} & set(agency.terms)
    job = analyse_question("What job did Al-Kadhimi hold before he became prime minister?")
    assert not {"job", "hold"} & set(job.terms)
    share = analyse_question("What share of their seats did the militias lose in the election?")
    assert "share" not in share.terms and "seat" in share.terms


def test_told_answers_a_question_about_speaking() -> None:
    from assistant.answer.citations import canonical_terms

    assert "speak" in canonical_terms("Two Iraqi officials told The Associated Press that seven guards were hurt.")
    claim = "The two Iraqi officials spoke to The Associated Press."
    quote = "Two Iraqi officials told The Associated Press that seven of al-Kadhimi's security guards were injured."
    assert check_support(claim, [quote], question="Which news agency did the two Iraqi officials speak to?").ok


def test_quote_questions_name_their_speaker() -> None:
    from assistant.answer.citations import has_answer_value, speaker_named

    question = analyse_question("How did the U.S. State Department describe the attack?")
    assert question.kind == "quote" and set(question.speaker) == {"usa", "department"}
    president = analyse_question("What did Iraq's president say about the attack?")
    assert not speaker_named(president, '"We are in close touch with the Iraqi security forces," Ned Price said.')
    kadhimi = analyse_question("What did Al-Kadhimi say on television about the attack?")
    assert speaker_named(kadhimi, "Mustafa Al-Kadhimi appeared on television. \"Cowardly attacks,\" he said.")
    assert has_answer_value("quote", '"Cowardly rocket and drone attacks don\'t build homelands," he said.')
    assert has_answer_value("quote", "The government said the drones tried to hit al-Kadhimi's home.")
    assert not has_answer_value("quote", "The US State Department condemned the attack and offered assistance.")


def test_a_count_must_be_of_the_counted_thing() -> None:
    from assistant.answer.citations import answer_values

    embassies = analyse_question("How many embassies are in the Green Zone?")
    rockets = "Three Katyusha rockets landed near the U.S. embassy in Baghdad on November 1."
    assert answer_values("quantity", rockets, embassies.counted) == []
    guards = analyse_question("How many guards were injured?")
    assert answer_values("quantity", GUARDS_SEVERAL.text, guards.counted) == ["several"]
    assert answer_values("quantity", GUARDS_7.text, guards.counted) == ["seven"]


def test_a_date_near_the_asked_event_is_preferred() -> None:
    from assistant.answer.citations import value_near_terms

    question = analyse_question("When did the attack happen?")
    near = "Al-Kadhimi survived an assassination attempt with armed drones that targeted his residence early Sunday."
    far = ("In a tweet made on Sunday, the Secretary of Iran's national security council, Ali Shamkhani, "
           "indirectly said that the United States was behind the attack.")
    assert value_near_terms(question.kind, near, question.terms)
    assert not value_near_terms(question.kind, far, question.terms)
