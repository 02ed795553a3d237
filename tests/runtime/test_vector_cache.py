"""The sentence-vector cache: computed once, read back by later processes, never wrong, never required."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.runtime.vector_cache import VectorCache


class CountingModel:
    """Vectors derived from the text, counting what it was asked to embed."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.asked.extend(texts)
        return [[float(len(t)), float(sum(map(ord, t)) % 97), 0.5] for t in texts]


def test_vectors_are_computed_once_and_read_back_by_a_new_cache(tmp_path: Path) -> None:
    model = CountingModel()
    first = VectorCache(tmp_path, "all-MiniLM-L6-v2")
    texts = ["Seven guards were injured.", "The drone hit the residence.", "Seven guards were injured."]
    vectors = first.embed(texts, model.embed)
    assert model.asked == ["Seven guards were injured.", "The drone hit the residence."]
    assert vectors[0] == vectors[2] == model.embed([texts[0]])[0]
    first.close()

    model.asked.clear()
    again = VectorCache(tmp_path, "all-MiniLM-L6-v2")  # another process, later
    assert again.embed([*texts, "A new sentence."], model.embed)[:3] == vectors
    assert model.asked == ["A new sentence."]


def test_one_file_per_model(tmp_path: Path) -> None:
    model = CountingModel()
    VectorCache(tmp_path, "all-MiniLM-L6-v2").embed(["x y z"], model.embed)
    VectorCache(tmp_path, "openai:text-embedding-3-small").embed(["x y z"], model.embed)
    assert model.asked == ["x y z", "x y z"]
    assert len(list(tmp_path.glob("*.sqlite"))) == 2


def test_a_locked_cache_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is best effort: one another process holds locked does not fail the question."""
    cache = VectorCache(tmp_path, "m")
    cache.embed(["kept"], CountingModel().embed)
    holder = sqlite3.connect(cache.path, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # a writer elsewhere that does not let go
    monkeypatch.setattr(cache, "_db", sqlite3.connect(cache.path, timeout=0.1, isolation_level=None,
                                                     check_same_thread=False))
    model = CountingModel()
    assert cache.embed(["a b c", "kept"], model.embed)[0] == model.embed(["a b c"])[0]
    assert model.asked == ["a b c", "a b c"]  # "kept" was read back; the new vector could not be stored
    holder.rollback()
    assert VectorCache(tmp_path, "m").embed(["a b c"], model.embed)
    assert model.asked.count("a b c") == 3  # it was not stored while locked, so it is computed again


@pytest.mark.slow
def test_retrieved_sentence_vectors_are_kept_for_the_next_question(embedded_engine) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    embedded_engine.ask("How many drones were used in the attack?")
    cache = embedded_engine.vector_cache
    assert cache is not None
    (rows,) = sqlite3.connect(cache.path).execute("SELECT count(*) FROM vectors").fetchone()
    assert rows >= 10
