"""The ingest pipeline: idempotence, replacement and pruning, duplicates, unchanged files not parsed again, and an
ingest whose keyword index another process holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.corpus import ingest_paths
from tests.conftest import SEEDS


def _ingest(session, paths, prune=False):  # type: ignore[no-untyped-def]
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


def test_an_unchanged_file_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged files are known by their text's SHA-256 before parsing (10,000 unchanged articles: 17 s -> 3.5 s
    for a no-op ingest); a changed one is parsed and replaced."""
    from assistant.answer import open_session
    from assistant.corpus import ingest

    folder = tmp_path / "news"
    shutil.copytree(SEEDS, folder)
    session = open_session(load_settings())
    first = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    parsed: list[str] = []
    parse = ingest.parse_article
    monkeypatch.setattr(ingest, "parse_article", lambda source, text: parsed.append(source) or parse(source, text))
    again = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    assert len(again.unchanged) == len(first.ingested) == 5 and parsed == []
    changed = sorted(folder.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA late correction was added.\n", encoding="utf-8")
    third = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    assert third.ingested == [str(changed.resolve())] and parsed == [str(changed.resolve())]
    assert len(session.store.list_articles()) == 5


def test_articles_parsed_by_an_older_parser_are_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             ) -> None:
    """A store written by an older `parse_article` (other boilerplate rules, no publication days) is brought up to
    date by the next ingest of the same unchanged files: each parsed again and replaced, nothing duplicated."""
    from assistant.answer import open_session
    from assistant.corpus import articles, ingest, store

    folder = tmp_path / "news"
    shutil.copytree(SEEDS, folder)
    session = open_session(load_settings())
    monkeypatch.setattr(store, "PARSER_VERSION", "0")  # as an older version wrote it
    session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    chunks = session.store.chunk_count()
    assert {a.parser for a in session.store.list_articles()} == {"0"}
    monkeypatch.setattr(store, "PARSER_VERSION", articles.PARSER_VERSION)
    assert ingest.PARSER_VERSION == articles.PARSER_VERSION != "0"
    again = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    assert len(again.ingested) == 5 and again.unchanged == []
    assert {a.parser for a in session.store.list_articles()} == {articles.PARSER_VERSION}
    assert len(session.store.list_articles()) == 5 and session.store.chunk_count() == chunks
    third = session.ingest([folder], warn=print, progress=lambda done, total, name: None)
    assert len(third.unchanged) == 5 and third.ingested == []


def test_an_ingest_whose_keyword_index_is_locked_still_succeeds(isolated_home: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The articles are stored when another process keeps the keyword index locked past the wait: a warning, and
    the next question indexes them."""
    from assistant.answer import open_session
    from assistant.corpus import KeywordIndex
    from assistant.locking import file_lock

    monkeypatch.setattr(KeywordIndex, "LOCK_WAIT_SECONDS", 0.2)
    session = open_session(load_settings())
    warnings: list[str] = []
    with file_lock(session.retriever.keyword_index.lock_path):  # another process's sync, writing
        report = session.ingest([SEEDS], warn=warnings.append, progress=lambda done, total, name: None)
    assert len(report.ingested) == 5 and len(session.store.list_articles()) == 5
    assert len(warnings) == 1 and warnings[0].startswith("the keyword index was not brought up to date")
    assert session.retriever.retrieve_chunks("How many guards were injured?")  # the question indexed them
    assert session.index_keywords() == 0


def test_a_moved_folder_takes_its_stored_articles_along(tmp_path: Path, session) -> None:  # type: ignore[no-untyped-def]
    """The same text at a new path whose stored copy's file is gone is the article moved, not a duplicate: the store
    names the new file (citations must open it), without a second copy; a copy whose original is still there stays
    a duplicate (above)."""
    old = tmp_path / "old"
    shutil.copytree(SEEDS, old)
    _ingest(session, [old])
    chunks = session.store.chunk_count()
    new = (tmp_path / "new").resolve()
    old.rename(new)

    report = _ingest(session, [new])
    names = sorted(p.name for p in new.iterdir())
    assert sorted(report.moved) == [(str(old.resolve() / n), str(new / n)) for n in names]
    assert report.skipped == [] and len(report.ingested) == 5 and "5 moved" in report.summary()
    stored = session.store.list_articles()
    assert [a.source for a in stored] == [str(new / n) for n in names]
    assert session.store.chunk_count() == chunks
    assert {c.source for c in session.store.get_chunks(article_ids=[a.article_id for a in stored])} == {
        str(new / n) for n in names}
    again = _ingest(session, [new])
    assert len(again.unchanged) == 5 and again.moved == [] and again.ingested == []


def test_an_ingest_stopped_before_a_moved_article_lost_its_old_record_is_finished_by_the_next(  # type: ignore[no-untyped-def]
        tmp_path: Path, session, monkeypatch: pytest.MonkeyPatch) -> None:
    first, moved_to, other = tmp_path / "first", tmp_path / "moved", tmp_path / "other"
    first.mkdir()
    other.mkdir()
    (first / "a.txt").write_text((SEEDS / "001_b424cb375d711392.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (other / "b.txt").write_text((SEEDS / "002_f6aab3316618959c.txt").read_text(encoding="utf-8"), encoding="utf-8")
    _ingest(session, [first])
    first.rename(moved_to)
    with monkeypatch.context() as patch:  # stopped after the new record was written, before the old one went
        patch.setattr(session.store, "remove_articles", lambda article_ids: 0)
        _ingest(session, [moved_to])
    assert len(session.store.list_articles()) == 2

    report = _ingest(session, [other])
    assert report.moved == [(str(first.resolve() / "a.txt"), str(moved_to.resolve() / "a.txt"))]
    assert [a.source for a in session.store.list_articles()] == [str(moved_to.resolve() / "a.txt"),
                                                                 str(other.resolve() / "b.txt")]
