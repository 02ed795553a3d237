"""Articles: titles, Markdown front matter, and sentence offsets that point into the file's own text."""

from __future__ import annotations

from pathlib import Path

from assistant.corpus import parse_article, read_article
from tests.conftest import SEEDS
from tests.corpus.helpers import sentence_texts


def test_titles() -> None:
    assert read_article(SEEDS / "004_080663b71aaf09f0.txt").title.startswith("Drone Hits Iraqi Premier")
    assert read_article(SEEDS / "002_f6aab3316618959c.txt").title.startswith("Iraqi Prime Minister Escapes")


def test_offsets_point_into_the_original_file_for_every_seed() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        article = read_article(path)
        assert article.text == raw
        for span in article.sentences:
            assert raw[span.start : span.end].strip() == raw[span.start : span.end]


def test_markdown_front_matter(tmp_path: Path) -> None:
    md = (
        "---\ntitle: Storm hits coast\ndate: 2024-01-02\n---\n"
        "# Storm hits coast\n\nWinds reached 120 km/h. Ten homes lost roofs.\n"
    )
    article = parse_article(str(tmp_path / "a.md"), md)
    assert article.title == "Storm hits coast" and article.metadata["date"] == "2024-01-02"
    assert "Ten homes lost roofs." in sentence_texts(article)
