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



FERRY = "Harbour ferry suspended\n\nThe Velmar harbour ferry was suspended on Tuesday after a crane failed.\n"


def _kept(lines: str) -> list[str]:
    """The sentences worth embedding of a ferry report followed by `lines`; the report's own sentence is one."""
    text = FERRY + lines
    sentences = [text[s.start : s.end] for s in parse_article("ferry.txt", text).sentences]
    assert any(s.startswith("The Velmar harbour ferry") for s in sentences)
    return sentences


def test_a_saved_pages_video_player_gallery_and_shopping_lines_are_not_content() -> None:
    sentences = _kept(
        "JUST WATCHED Record heat spreads to the East Replay More Videos ... MUST WATCH Record heat spreads to "
        "the East 02:21\n"
        "Photos: Storms across Europe A resident stands in floodwaters in Rochefort, Belgium. Hide Caption 5 of 38\n"
        "Get the Zando Plush Slipper Socks at Amazon for $13.99\n"
        "WATCH: Highlights of the harbour rescue (2:41)\n"
        "Watch it: The harbour festival runs from July 1-30 on the quay.\n"
        "Repairs are expected to take two weeks, the port authority said.\n"
    )
    assert not any("WATCH" in s or "Hide Caption" in s or "Amazon" in s for s in sentences)
    assert any(s.startswith("Repairs are expected") for s in sentences)
    assert any(s.startswith("Watch it: The harbour festival") for s in sentences)  # a sentence, not a video link


def test_newsletter_plugs_are_not_content() -> None:
    """Lines that offer news "to your inbox" and ask to sign up (or name a newsletter), as saved news pages keep
    them; a sentence of the report that mentions an inbox stays."""
    sentences = _kept(
        "HARBOUR NEWSLETTER:Sign up to get daily headlines sent to your inbox\n"
        '(You can get "5 Harbour Things" delivered to your inbox daily. Sign up here .)\n'
        "Want this news roundup in your inbox every night? Sign up for The Quay newsletter here.\n"
        "Passengers found a notice of the suspension in their inbox on Tuesday morning, the operator said.\n"
        "Refunds were sent to your inbox within a day, one passenger wrote in a complaint to the port.\n"
    )
    assert not any("Sign up" in s or "newsletter" in s.lower() for s in sentences)
    assert any(s.startswith("Passengers found a notice") for s in sentences)
    assert any(s.startswith("Refunds were sent to your inbox") for s in sentences)  # no sign-up: reporting
    html = parse_article("ferry.html", "<html><head><title>Ferry</title></head><body><p>The ferry was suspended on "
                         "Tuesday.</p><p>SPORTS NEWSLETTER:Sign up to get daily updates sent to your inbox</p></body>"
                         "</html>")
    assert not any("NEWSLETTER" in html.text[s.start : s.end] for s in html.sentences)
