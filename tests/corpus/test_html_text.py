"""HTML articles: the text of block elements (not scripts or navigation), title and metadata from the head, offsets
into the raw file."""

from __future__ import annotations

from pathlib import Path

from assistant.corpus import parse_article
from tests.corpus.helpers import sentence_texts


def test_html_text_and_metadata(tmp_path: Path) -> None:
    html = (
        '<html><head><title>T</title><meta property="og:site_name" content="Daily"></head><body>'
        "<nav>Home | World</nav><h1>Bridge opens</h1><p>The bridge opened on Monday. It cost &pound;3m.</p>"
        "<script>var x = 'Ignore me.';</script></body></html>"
    )
    article = parse_article(str(tmp_path / "b.html"), html)
    assert article.title == "Bridge opens" and article.metadata["outlet"] == "Daily"
    sentences = sentence_texts(article)
    assert "The bridge opened on Monday." in sentences
    assert not any("Ignore me" in s or "Home | World" in s for s in sentences)
    for span in article.sentences:  # offsets are into the raw HTML file
        assert html[span.start : span.end] in html
