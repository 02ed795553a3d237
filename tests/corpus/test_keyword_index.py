"""The keyword index (tantivy): one analyzer for texts and questions (folding, stemming, names with hyphens and
possessives), incremental syncs that answer as a fresh build does, an index of an earlier version rebuilt once,
and readers that never wait for a writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.corpus import KeywordIndex, article_id_for, chunk_article, parse_article
from assistant.corpus.keyword_index import analyzer
from assistant.corpus.store import Store, open_store
from assistant.locking import file_lock
from assistant.runtime import count_minilm_tokens
from assistant.text import STOPWORDS, fold, words
from tests.conftest import SEEDS
from tests.corpus.flood_reports import FLOOD_REPORTS
from tests.corpus.helpers import fill

# Beyond ASCII: diacritics (precomposed and combining), curly quotes and dashes, other scripts, symbols, digits in
# other scripts, a soft hyphen, a zero-width space, a Kelvin sign.
EXOTIC = (
    "Zürich’s café — “naïve” reports: Crème brûlée in São Paulo, e\u0301lan, Ωmega 東京 ２０２０ ½ €5 "
    "co\u00adoperate zero\u200bwidth \u212aelvin foo_bar don’t Al-Kadhimi's 7,000.5 guards’ injuries Łódź"
)
QUESTIONS = [
    "How many guards were injured?",
    "Who was the prime minister of Iraq?",
    "When was the drone attack on the residence?",
    "guard guards guarded injured injuries attack attacks",
    "Zurich cafe naive creme brulee Sao Paulo",
    "What did the Iraqi officials say about Kadhimi?",
    "How many trams were moved from the flooded depot in Krakow?",
    "xyzzy plugh",
]


def test_one_analyzer_folds_stems_and_splits_names_and_the_answer_path_folds_the_same_way() -> None:
    """Texts and questions become the same terms whether a name is typed with its diacritics or without;
    possessives and hyphens split off; the question's analyzer is the text's without the stop words; and
    `text.fold` (the answer path's) folds as the index does."""
    terms = analyzer().analyze
    assert terms("Kraków Krakow Zürich Zurich Gdańsk Malmö Łódź") == [
        "krakow", "krakow", "zurich", "zurich", "gdansk", "malmo", "lodz"]
    assert terms("Al-Kadhimi's guards’ injuries") == ["al", "kadhimi", "s", "guard", "injuri"]
    assert terms("e\u0301lan") == ["e", "lan"]  # why texts and questions are composed (NFC) first
    question = analyzer(STOPWORDS).analyze("How many of Al-Kadhimi's guards were injured in Kraków?")
    assert question == ["kadhimi", "guard", "injur", "krakow"]
    assert {"zurich's", "cafe", "naive", "creme", "sao", "elan", "lodz", "kadhimi's"} <= set(words(EXOTIC))
    assert fold("Kraków, Malmö — “Łódź”") == 'Krakow, Malmo - "Lodz"' and fold("plain") == "plain"


def _store_with(articles: dict[str, str]) -> Store:
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    _write(store, articles)
    return store


def _write(store: Store, articles: dict[str, str]) -> None:
    items = []
    for seed, (source, text) in enumerate(articles.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 64)
        vectors = np.random.default_rng(seed).standard_normal((len(chunks), 384)).astype(np.float32)
        items.append((article, chunks, [list(map(float, v / np.linalg.norm(v))) for v in vectors]))
    store.write_articles(items)


def _articles() -> dict[str, str]:
    articles = {str(path): path.read_text() for path in sorted(SEEDS.glob("*.txt"))}
    articles["/news/exotic.txt"] = f"Notes from abroad\n\n{EXOTIC}. Guards were injured, guards said."
    articles.update({f"/news/{name}": text for name, text in FLOOD_REPORTS.items()})
    return articles


def _source_of(index: KeywordIndex, query: str) -> str:
    best = index.search(query, 1)
    return index.chunks([best[0][0]])[0].source if best else ""


def test_names_with_and_without_diacritics_hyphens_and_possessives_are_found(isolated_home: Path) -> None:
    store = _store_with(_articles())
    index = KeywordIndex(load_settings().keyword_index_path, store)
    assert index.sync() == 12
    for city in ("Krakow", "Kraków", "Zurich", "Zürich", "Gdansk", "Gdańsk", "Malmo", "Malmö", "Graz", "Lyon"):
        found = _source_of(index, f"How many trams were moved from the flooded depot in {city}?")
        assert found == f"/news/{fold(city).lower()}.txt", city
    assert _source_of(index, "Kra\u0301kow trams") == "/news/krakow.txt"  # a combining accent typed
    assert _source_of(index, "Lena Al-Hakim's team") == "/news/graz.txt"
    assert _source_of(index, "Al-Hakim") == _source_of(index, "Hakim") == "/news/graz.txt"
    assert _source_of(index, "Łódź café") == "/news/exotic.txt"
    assert _source_of(index, "Lodz cafe") == "/news/exotic.txt"
    assert "guards" in _source_of(index, "How many guards were injured?") or index.search("guards", 1)
    assert index.search("xyzzy plugh", 5) == [] and index.search("the and of", 5) == []
    assert index.search("guards", 0) == []
    assert index.chunks([]) == []
    assert index.chunk_ids() == {c.chunk_id for c in store.get_chunks()}


def test_the_words_the_corpus_writes_in_lower_case(isolated_home: Path) -> None:
    """A word is common when some chunk writes it in lower case ("guards"), not when the corpus only capitalises it
    ("Krakow", "Graz") or writes another form of its stem ("injured" is no "injuring")."""
    store = _store_with(_articles())
    index = KeywordIndex(load_settings().keyword_index_path, store)
    index.sync()
    asked = {"guards", "injured", "krakow", "graz", "injuring", "the", "xyzzy", "two words"}
    assert index.written_in_lower_case(asked) == {"guards", "injured"}
    assert index.written_in_lower_case(set()) == set()


def _assert_same_as_a_fresh_build(index: KeywordIndex, store: Store, folder: Path) -> None:
    """Every question matches the same chunks as an index built from scratch over the store's chunks, with the
    same best chunk; every record is the store's."""
    fresh = KeywordIndex(folder, store)
    fresh.sync()
    for question in QUESTIONS:
        ours, theirs = index.search(question, 1000), fresh.search(question, 1000)
        assert {c for c, _ in ours} == {c for c, _ in theirs}, question
        assert [s for _, s in ours] == sorted((s for _, s in ours), reverse=True)
        if theirs:
            assert ours[0][0] == theirs[0][0], question
    stored = store.get_chunks()
    assert index.chunk_ids() == fresh.chunk_ids() == {c.chunk_id for c in stored}
    assert index.chunks([c.chunk_id for c in stored]) == stored


def test_added_changed_and_removed_articles_answer_as_a_fresh_build(isolated_home: Path, tmp_path: Path) -> None:
    articles = _articles()
    store = _store_with(articles)
    index = KeywordIndex(load_settings().keyword_index_path, store)
    index.sync()
    sources = [source for source in sorted(articles) if "guards" in articles[source]]
    store.remove_articles([article_id_for(sources[0])])
    _write(store, {sources[1]: articles[sources[1]].replace("guards", "bodyguards"),
                   "/news/added.txt": "A late report\n\nSeven more guards were injured in Kraków."})
    assert index.sync() == 2  # the changed one and the added one; the removed one is dropped
    assert index.sync() == 0
    _assert_same_as_a_fresh_build(index, store, tmp_path / "fresh")
    assert not [c for c in index.chunks(list(index.chunk_ids())) if c.article_id == article_id_for(sources[0])]


def test_one_article_per_sync_many_times_over(isolated_home: Path, tmp_path: Path) -> None:
    """Many small commits (segments merged by tantivy in the background) and replacements of one article."""
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    index = KeywordIndex(load_settings().keyword_index_path, store)
    for source, text in _articles().items():
        _write(store, {source: text})
        assert index.sync() == 1
    for round_ in range(4):
        _write(store, {"/news/krakow.txt": FLOOD_REPORTS["krakow.txt"].replace("34", str(40 + round_))})
        assert index.sync() == 1
    assert "43 trams" in index.chunks([index.search("Krakow trams", 1)[0][0]])[0].text
    _assert_same_as_a_fresh_build(index, store, tmp_path / "fresh")


def test_an_index_of_an_earlier_version_is_rebuilt_once(isolated_home: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The SQLite file of earlier versions is removed (with its journal) and the index built again, with one line
    on stderr; later opens say nothing. A damaged index is rebuilt the same way."""
    store = _store_with(_articles())
    folder = load_settings().keyword_index_path
    index = KeywordIndex(folder, store)
    index.sync()
    key = index.path.name
    for leftover in (f"{key}.sqlite", f"{key}.sqlite-wal"):
        (folder / leftover).write_bytes(b"SQLite format 3\x00")
    capsys.readouterr()
    index = KeywordIndex(folder, store)
    assert capsys.readouterr().err == "The keyword index of an earlier version is being rebuilt (once).\n"
    assert not list(folder.glob("*.sqlite*"))
    assert index.search("guards", 3) == [] and index.sync() == 12
    assert _source_of(index, "Krakow trams") == "/news/krakow.txt"
    index = KeywordIndex(folder, store)
    assert capsys.readouterr().err == "" and index.sync() == 0 and index.search("guards", 3)

    (index.path / "meta.json").write_text("{damaged", encoding="utf-8")
    index = KeywordIndex(folder, store)
    assert "rebuilt" in capsys.readouterr().err and index.sync() == 12 and index.search("guards", 3)


def test_sync_reports_the_articles_it_indexes(isolated_home: Path) -> None:
    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    heard: list[tuple[int, int]] = []
    assert index.sync(lambda done, total: heard.append((done, total))) == 3
    assert heard == [(0, 3), (3, 3)]
    assert index.sync(lambda done, total: heard.append((done, total))) == 0 and len(heard) == 2  # nothing to do


def test_readers_never_wait_for_the_writer_and_see_its_last_commit(isolated_home: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """While another process holds the write lock, a question's sync (`wait=False`) returns at once and searches
    the last commit; an ingest's sync waits, then gives up with TimeoutError. Another reader of the same index
    sees a commit at its next sync."""
    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    fill(store, batched=True)
    writer = KeywordIndex(settings.keyword_index_path, store)
    reader = KeywordIndex(settings.keyword_index_path, store)
    assert writer.sync() == 3 and reader.search("guards", 3) == []
    assert reader.sync(wait=False) == 0 and reader.search("guards", 3)  # reloaded: the writer's commit
    _write(store, {"/news/krakow.txt": FLOOD_REPORTS["krakow.txt"]})
    monkeypatch.setattr(KeywordIndex, "LOCK_WAIT_SECONDS", 0.2)
    with file_lock(reader.lock_path):  # another process writing (a lock of another descriptor: the same conflict)
        assert reader.sync(wait=False) == 0 and reader.search("Krakow trams", 3) == []
        with pytest.raises(TimeoutError):
            reader.sync()
    assert reader.sync(wait=False) == 1 and reader.search("Krakow trams", 3)
    assert writer.sync() == 0 and writer.search("Krakow trams", 3)
