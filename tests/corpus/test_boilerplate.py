"""Boilerplate: "READ MORE" teasers and their headlines, feed footers and outlet bylines are not article content."""

from __future__ import annotations

from assistant.corpus import read_article
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

