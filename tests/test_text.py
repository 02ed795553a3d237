"""Sentence spans and number reading."""

from assistant.text import number_values, numbers, sentence_spans


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "He met U.S. officials and Dr. Smith on Sunday. Then he left."
    assert _sentences(text) == ["He met U.S. officials and Dr. Smith on Sunday.", "Then he left."]


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
