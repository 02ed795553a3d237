"""The verifier: whether quotes support a claim, and repairing wrong or missing citations, on hand-built evidence."""

from __future__ import annotations

from assistant.answer.support import check_support, verify_sentences
from assistant.answer.terms import canonical_terms
from tests.answer.samples import GUARDS_7, GUARDS_7B, POOL, PRICE


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


def test_told_answers_a_question_about_speaking() -> None:
    assert "speak" in canonical_terms("Two Iraqi officials told The Associated Press that seven guards were hurt.")
    claim = "The two Iraqi officials spoke to The Associated Press."
    quote = "Two Iraqi officials told The Associated Press that seven of al-Kadhimi's security guards were injured."
    assert check_support(claim, [quote], question="Which news agency did the two Iraqi officials speak to?").ok
