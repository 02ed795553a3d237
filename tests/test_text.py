"""Sentence spans and number reading."""

from assistant.text import number_values, numbers, sentence_spans, stem


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "He met U.S. officials and Dr. Smith on Sunday. Then he left."
    assert _sentences(text) == ["He met U.S. officials and Dr. Smith on Sunday.", "Then he left."]


def test_abbreviations_at_the_start_after_other_letters_and_initials() -> None:
    assert _sentences("U.S. troops left. Then rain.") == ["U.S. troops left.", "Then rain."]
    assert _sentences("Café. Next one.") == ["Café.", "Next one."]  # "é" is not part of an abbreviation
    assert _sentences("Led by J. Smith. He spoke.") == ["Led by J. Smith.", "He spoke."]


def test_a_long_single_line_article_splits_in_one_pass() -> None:
    """Each sentence end once looked back with a search over all the text before it: a 2.6 MB one-line article
    would take about 1.5 h (0.48 MB took 200 s); now under a second. Counts and abbreviations must be unchanged."""
    sentence = 'Mr. Smith met Dr. Jones in the U.S. on day {}. "It rained," he said. It rained.'
    text = " ".join(sentence.format(i) for i in range(32_000))
    spans = sentence_spans(text)
    assert len(spans) == 96_000
    assert text[spans[-3].start : spans[-3].end] == "Mr. Smith met Dr. Jones in the U.S. on day 31999."


def test_every_line_ends_a_sentence_and_spans_index_the_text() -> None:
    text = "Headline without stop\n\n  First sentence. Second one!\nREAD MORE"
    spans = sentence_spans(text)
    assert [text[s.start : s.end] for s in spans] == ["Headline without stop", "First sentence.", "Second one!",
                                                       "READ MORE"]


def test_quoted_speech_stays_whole() -> None:
    text = '"I am fine and among my people. Thank God," the prime minister tweeted. He called for calm.'
    assert _sentences(text) == ['"I am fine and among my people. Thank God," the prime minister tweeted.',
                                "He called for calm."]


def test_numbers_as_words_and_digits() -> None:
    assert number_values("seven of 7 guards") == {7.0}
    assert number_values("twenty-one people and 1,200 troops") == {21.0, 1200.0}
    assert [m.text for m in numbers("on August 7 in 2021 at 8:45")] == []
    assert number_values("No one matched all six numbers; one ticket won.") == {6.0, 1.0}  # "no one" is nobody
    assert [m.text for m in numbers("no one came")] == []
    # A scale word after digits is part of the number: $512 million and $521 million differ; a million is no count.
    assert [(m.text, m.value) for m in numbers("net profit of $521 million on revenue of $4.12 billion")] == [
        ("521 million", 521_000_000.0), ("4.12 billion", 4_120_000_000.0)]
    assert number_values("$512 million") != number_values("$521 million")
    assert number_values("two million people") == {2_000_000.0}


def test_fractions_in_words_are_shares_not_counts() -> None:
    assert [(m.text, m.value) for m in numbers("it rose by three-quarters of a point")] == [("three-quarters", 0.75)]
    assert number_values("they lost two thirds of their seats") == {0.6667}
    assert number_values("one-half of the 12 guards") == {0.5, 12.0}
    assert number_values("the second quarter") == set()  # an ordinal, not a fraction of a count
    assert number_values("revenue rose for three quarters in a row") == {3.0}  # a count of quarters


def test_words_of_one_stem_are_one_term() -> None:
    # Snowball's English stemmer: a noun and its verb, and the forms of each, read alike.
    assert stem("attended") == stem("attendance") == stem("attends") == "attend"
    assert stem("elected") == stem("election") and stem("injuries") == stem("injury")
    assert stem("Quillon's") == stem("quillon") and stem("guards") == "guard"


def test_threads_stem_alike() -> None:
    # A Snowball stemmer object holds the word it is stemming: threads (the chat's worker, the server's pool) must
    # not share one.
    from concurrent.futures import ThreadPoolExecutor

    words = [f"{w}{i}ations" for i in range(2000) for w in ("attend", "elect")]
    expected = [stem.__wrapped__(w) for w in words]
    stem.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(stem, words)) == expected
