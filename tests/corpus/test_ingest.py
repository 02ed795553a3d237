"""Ingestion: boilerplate, metadata, offsets, chunk sizes, idempotence, replacement and pruning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.corpus.ingest import CHUNK_HARD_LIMIT, chunk_article, parse_article, read_article
from assistant.runtime import count_minilm_tokens
from tests.conftest import SEEDS


def _texts(article) -> list[str]:  # type: ignore[no-untyped-def]
    return [article.text[s.start : s.end] for s in article.sentences]


def test_read_more_teasers_and_feed_footers_are_not_content() -> None:
    article = read_article(SEEDS / "003_bfaeb393dbe3302f.txt")
    sentences = _texts(article)
    assert not any("READ MORE" in s or "Houston" in s or "IFTTT" in s or s == "0 Comments" for s in sentences)
    assert any(s.startswith("On Friday, one person was killed") for s in sentences)  # URL glued to prose is cut
    assert article.metadata["outlet"] == "9News"


def test_bare_read_more_block_drops_its_headlines() -> None:
    article = read_article(SEEDS / "000_afcf459c4b38308b.txt")
    sentences = _texts(article)
    assert not any("Glasgow" in s or "coronavirus" in s for s in sentences)
    assert article.metadata["outlet"] == "Gulf Today"
    assert "Gulf Today Report" not in sentences


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


def test_markdown_front_matter_and_html_metadata(tmp_path: Path) -> None:
    md = (
        "---\ntitle: Storm hits coast\ndate: 2024-01-02\n---\n"
        "# Storm hits coast\n\nWinds reached 120 km/h. Ten homes lost roofs.\n"
    )
    article = parse_article(str(tmp_path / "a.md"), md)
    assert article.title == "Storm hits coast" and article.metadata["date"] == "2024-01-02"
    assert "Ten homes lost roofs." in _texts(article)
    html = (
        '<html><head><title>T</title><meta property="og:site_name" content="Daily"></head><body>'
        "<nav>Home | World</nav><h1>Bridge opens</h1><p>The bridge opened on Monday. It cost &pound;3m.</p>"
        "<script>var x = 'Ignore me.';</script></body></html>"
    )
    article = parse_article(str(tmp_path / "b.html"), html)
    assert article.title == "Bridge opens" and article.metadata["outlet"] == "Daily"
    sentences = _texts(article)
    assert "The bridge opened on Monday." in sentences
    assert not any("Ignore me" in s or "Home | World" in s for s in sentences)
    for span in article.sentences:  # offsets are into the raw HTML file
        assert html[span.start : span.end] in html


def test_chunks_stay_within_the_embedding_window(tmp_path: Path) -> None:
    long_sentence = " ".join(["word"] * 900) + "."
    article = parse_article(str(tmp_path / "long.txt"), "Title line\n" + long_sentence + "\nShort end.\n")
    chunks = chunk_article(article, count_minilm_tokens, 128)
    assert len(chunks) >= 4
    for chunk in chunks:
        assert count_minilm_tokens(chunk.text(article.text)) <= CHUNK_HARD_LIMIT
    for path in SEEDS.glob("*.txt"):
        seed = read_article(path)
        for chunk in chunk_article(seed, count_minilm_tokens, 128):
            assert count_minilm_tokens(chunk.text(seed.text)) <= 128


@pytest.fixture
def session():  # type: ignore[no-untyped-def]
    from assistant.answer import open_session
    from assistant.config import load_settings

    return open_session(load_settings())


def _ingest(session, paths, prune=False):  # type: ignore[no-untyped-def]
    from assistant.corpus.ingest import ingest_paths

    return ingest_paths(paths, session.store, session.embed_model, session.settings.chunk_tokens, prune=prune)


def test_ingest_is_idempotent_replaces_changed_files_and_prunes(tmp_path: Path, session) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    first = _ingest(session, [corpus])
    assert len(first.ingested) == 5 and first.chunks == session.store.chunk_count()
    chunk_ids = sorted(
        c.chunk_id
        for c in session.store.get_chunks(article_ids=[a.article_id for a in session.store.list_articles()])
    )

    second = _ingest(session, [corpus])
    assert second.ingested == [] and len(second.unchanged) == 5
    assert session.store.chunk_count() == first.chunks

    changed = corpus / "001_b424cb375d711392.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nA new closing line was added today.\n", encoding="utf-8"
    )
    third = _ingest(session, [corpus])
    assert third.ingested == [str(changed)]
    texts = [
        c.text for c in session.store.get_chunks(article_ids=[a.article_id for a in session.store.list_articles()])
    ]
    assert sum("A new closing line" in t for t in texts) == 1
    assert len(session.store.list_articles()) == 5

    (corpus / "004_080663b71aaf09f0.txt").unlink()
    fourth = _ingest(session, [corpus], prune=True)
    assert [Path(s).name for s in fourth.removed] == ["004_080663b71aaf09f0.txt"]
    remaining = session.store.list_articles()
    assert len(remaining) == 4
    leftover = session.store.get_chunks(article_ids=[a.article_id for a in remaining])
    assert session.store.chunk_count() == len(leftover)
    assert len(chunk_ids) == first.chunks


def test_duplicate_text_under_two_names_is_stored_once(tmp_path: Path, session) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "dups"
    corpus.mkdir()
    text = (SEEDS / "001_b424cb375d711392.txt").read_text(encoding="utf-8")
    (corpus / "a.txt").write_text(text, encoding="utf-8")
    (corpus / "b.txt").write_text(text, encoding="utf-8")
    report = _ingest(session, [corpus])
    assert len(report.ingested) == 1 and len(report.skipped) == 1
    assert "same text as" in report.skipped[0][1]
    assert len(session.store.list_articles()) == 1
