"""Boilerplate: "READ MORE" teasers and their headlines, feed footers and outlet bylines are not article content."""

from __future__ import annotations

from assistant.corpus import read_article
from assistant.corpus.articles import parse_article
from tests.conftest import SEEDS
from tests.corpus.helpers import sentence_texts


def test_read_more_teasers_and_feed_footers_are_not_content() -> None:
    article = read_article(SEEDS / "003_bfaeb393dbe3302f.txt")
    sentences = sentence_texts(article)
    assert not any("READ MORE" in s or "Houston" in s or "IFTTT" in s or s == "0 Comments" for s in sentences)
    assert any(s.startswith("On Friday, one person was killed") for s in sentences)  # URL glued to prose is cut
    assert article.metadata["outlet"] == "9News"


def test_bare_read_more_block_drops_its_headlines() -> None:
    article = read_article(SEEDS / "000_afcf459c4b38308b.txt")
    sentences = sentence_texts(article)
    assert not any("Glasgow" in s or "coronavirus" in s for s in sentences)
    assert article.metadata["outlet"] == "Gulf Today"
    assert "Gulf Today Report" not in sentences



def test_a_saved_pages_video_player_gallery_and_shopping_lines_are_not_content() -> None:
    text = (
        "Harbour ferry suspended\n\n"
        "The Velmar harbour ferry was suspended on Tuesday after a crane failed.\n"
        "JUST WATCHED Record heat spreads to the East Replay More Videos ... MUST WATCH Record heat spreads to "
        "the East 02:21\n"
        "Photos: Storms across Europe A resident stands in floodwaters in Rochefort, Belgium. Hide Caption 5 of 38\n"
        "Get the Zando Plush Slipper Socks at Amazon for $13.99\n"
        "WATCH: Highlights of the harbour rescue (2:41)\n"
        "Watch it: The harbour festival runs from July 1-30 on the quay.\n"
        "Repairs are expected to take two weeks, the port authority said.\n"
    )
    article = parse_article("ferry.txt", text)
    sentences = [text[s.start : s.end] for s in article.sentences]
    assert not any("WATCH" in s or "Hide Caption" in s or "Amazon" in s for s in sentences)
    assert any(s.startswith("The Velmar harbour ferry") for s in sentences)
    assert any(s.startswith("Repairs are expected") for s in sentences)
    assert any(s.startswith("Watch it: The harbour festival") for s in sentences)  # a sentence, not a video link
