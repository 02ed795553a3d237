"""Answers as systems give them and their matching against gold values."""

from __future__ import annotations

from assistant.evals.answers import (
    conflict_sides,
    looks_abstained,
    matches_any,
    mentions,
    source_recall,
    split_cited_sentences,
)


def test_number_words_and_digits_are_the_same_answer() -> None:
    assert mentions("7 of his guards were hurt [1].", "seven")
    assert mentions("Seven guards were hurt.", "7")
    assert mentions("They lost around two-thirds of their seats.", "two thirds")
    assert not mentions("Seventeen guards were hurt.", "seven")
    assert not mentions("Several guards were hurt.", "seven")
    assert mentions("NATO invited Finland and Sweden to join.", "Sweden and Finland")  # a list, in any order
    assert not mentions("NATO invited Finland to join.", "Sweden and Finland")
    assert not mentions("Johnson won.", "Johnson and Johnson")  # one name twice is no list
    assert mentions('Activists glued themselves to "Last Supper" [1].', "The Last Supper")  # articles do not count
    assert mentions("They saw the groundhog.", "A groundhog") and not mentions("They saw the hog.", "A groundhog")


def test_matching_ignores_case_punctuation_possessives_and_markers() -> None:
    assert mentions("Al-Kadhimi's residence", "al Kadhimi")
    assert mentions("The U.S. condemned it [2].", "U.S.")
    assert mentions("“Cowardly rocket and drone attacks don’t build homelands”", "don't build homelands")
    assert not mentions("the attack [3]", "3")
    assert matches_any("It was Ned Price.", ["Antony Blinken", "Price"])


def test_conflict_sides_fold_equivalent_answers() -> None:
    assert conflict_sides(["seven", "7", "several", "a few"]) == ["seven", "several", "a few"]


def test_split_cited_sentences_and_abstention() -> None:
    sentences = split_cited_sentences("Seven guards were hurt [1][3]. It was Sunday. [2] He is fine [2, 4].")
    assert [(s.text, s.citations) for s in sentences] == [
        ("Seven guards were hurt.", [1, 3]), ("It was Sunday.", [2]), ("He is fine.", [2, 4])]
    assert looks_abstained("The sources do not mention the capital of Australia.")
    assert looks_abstained("")
    assert not looks_abstained("Seven guards were injured [1]. No information on the others.")


def test_source_recall_matches_file_names_against_paths() -> None:
    assert source_recall(["/data/seeds/a.txt", "/data/seeds/c.txt"], ["a.txt", "b.txt"]) == 0.5
    assert source_recall(["/x/ba.txt"], ["a.txt"]) == 0.0
    assert source_recall([], []) is None
