"""Cross-article batches: chunks of several articles embedded together and written with one store call per batch.

Batching must not change what is stored (compared with one article per batch), must really save store calls,
and a kill between a batch's chunks and its article records (the commit point) must leave a store that a rerun
turns into exactly what a clean run makes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.corpus import IngestReport, ingest_paths
from assistant.corpus import ingest as ingest_module
from assistant.corpus.store import Store
from tests.conftest import SEEDS
from tests.corpus.helpers import store_named
from tests.integration.test_faults import (
    DRIVER,
    PYTHON,
    assert_clean,
    assert_keyword_index_matches,
    expected_state,
    fresh_home,
    ingest_in_process,
    open_store,
    write_corpus,
)


def _ingest(session: Any, store: Store, folders: list[Path], batch_chunks: int, **kwargs: Any) -> IngestReport:
    return ingest_paths(folders, store, session.embed_model, session.settings.chunk_tokens, batch_chunks=batch_chunks,
                        **kwargs)


Rows = list[tuple[str, str, str]]


def _snapshot(store: Store) -> tuple[Rows, Rows, Rows, dict[str, Any]]:
    """(chunks, articles, texts) as (id, document, metadata without the ingest time), and every stored vector
    by id."""
    vectors: dict[str, Any] = {}

    def rows(collection: Any, prefix: str) -> list[tuple[str, str, str]]:
        result = collection.get(include=["documents", "metadatas", "embeddings"])
        out = []
        for i, d, m, e in zip(result["ids"], result["documents"], result["metadatas"], result["embeddings"],
                              strict=True):
            out.append((i, d, json.dumps({k: v for k, v in (m or {}).items() if k != "ingested_at"}, sort_keys=True)))
            vectors[prefix + i] = np.asarray(e)
        return sorted(out)

    return rows(store.chunks, "chunk:"), rows(store.articles, "article:"), rows(store.texts, "text:"), vectors


def assert_same_store(one: Store, other: Store) -> None:
    """The same chunks, articles and article texts (ids, texts, offsets, metadata), and vectors equal to float32
    rounding (a chunk padded in a different batch can differ in the last bits)."""
    chunks, articles, texts, vectors = _snapshot(one)
    other_chunks, other_articles, other_texts, other_vectors = _snapshot(other)
    assert chunks == other_chunks
    assert articles == other_articles
    assert texts == other_texts
    assert vectors.keys() == other_vectors.keys()
    for key, vector in vectors.items():
        assert np.allclose(vector, other_vectors[key], atol=1e-5), key


def _names(report: IngestReport) -> dict[str, Any]:
    """A report with file names instead of paths (two runs over copies of one folder)."""
    def name(source: str) -> str:
        return Path(source).name

    return {"ingested": [name(s) for s in report.ingested], "unchanged": [name(s) for s in report.unchanged],
            "skipped": [(name(s), r.replace(str(Path(s).parent), "")) for s, r in report.skipped],
            "removed": [name(s) for s in report.removed], "chunks": report.chunks}


def test_many_small_articles_are_written_in_fewer_store_calls(tmp_path: Path, session: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from chromadb.api.models.Collection import Collection

    folder = write_corpus(tmp_path / "corpus", 30)
    articles, _ = expected_state([folder])
    assert all(chunks == 1 for _, _, chunks in articles.values())  # so that 8 chunks are 8 articles
    writes: list[int] = []
    chroma: dict[tuple[str, str], int] = {}
    write_steps = Store.write_steps

    def counting_write(self: Store, items: list[Any], *args: Any, **kwargs: Any) -> Any:
        writes.append(len(items))
        return write_steps(self, items, *args, **kwargs)

    def counting(method: str) -> Any:
        original = getattr(Collection, method)

        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            key = (self.name.rsplit("_", 1)[-1], method)
            chroma[key] = chroma.get(key, 0) + 1
            return original(self, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(Store, "write_steps", counting_write)
    for method in ("add", "upsert", "delete"):
        monkeypatch.setattr(Collection, method, counting(method))

    report = _ingest(session, session.store, [folder], batch_chunks=8)
    assert len(report.ingested) == 30 and report.chunks == 30
    assert writes == [8, 8, 8, 6]  # one real store write per batch of about 8 chunks, not one per article
    assert chroma[("chunks", "add")] == 4 and chroma[("articles", "upsert")] == 4
    assert ("chunks", "delete") not in chroma  # new articles have no old chunks to delete
    assert_clean(session.store, [folder])

    writes.clear()
    other = store_named(session, "default_batch")
    _ingest(session, other, [folder], batch_chunks=1024)
    assert writes == [30]
    assert_same_store(session.store, other)


def test_batches_store_what_one_article_at_a_time_stores(tmp_path: Path, session: Any) -> None:
    """Duplicates inside one batch and across batches, skipped files, replaced, unchanged and pruned articles,
    and a text given up by one file's change and taken by another file, in batches of 1 chunk and of 1,000."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    first_text = (SEEDS / "001_b424cb375d711392.txt").read_text(encoding="utf-8")
    (corpus / "000_copy.txt").write_text(first_text, encoding="utf-8")  # sorted before its original: it wins
    (corpus / "zz_copy.txt").write_text(first_text, encoding="utf-8")
    (corpus / "empty.txt").write_text("\n\n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    write_corpus(corpus / "storms", 12)
    one, many = store_named(session, "one_by_one"), store_named(session, "batched")

    def both(prune: bool = False) -> dict[str, Any]:
        reports = [_names(_ingest(session, store, [corpus], batch_chunks=size, prune=prune))
                   for store, size in ((one, 1), (many, 1000))]
        assert reports[0] == reports[1]
        assert_same_store(one, many)
        return reports[0]

    first = both()
    assert first["ingested"][:2] == ["000_afcf459c4b38308b.txt", "000_copy.txt"]
    assert [name for name, _ in first["skipped"]] == ["001_b424cb375d711392.txt", "binary.txt", "empty.txt",
                                                       "zz_copy.txt"]
    storm = corpus / "storms" / "storm-003.txt"
    old = storm.read_text(encoding="utf-8")
    storm.write_text(old + "Crews worked through the night.\n", encoding="utf-8")  # replaced
    (corpus / "storms" / "storm-900.txt").write_text(old, encoding="utf-8")  # takes the text storm-003 gave up
    (corpus / "storms" / "storm-901.txt").write_text(old + "Crews worked through the night.\n", encoding="utf-8")
    second = both()
    assert second["ingested"] == ["storm-003.txt", "storm-900.txt"]
    assert ("storm-901.txt", "same text as /storm-003.txt") in second["skipped"]
    (corpus / "002_f6aab3316618959c.txt").unlink()
    third = both(prune=True)
    assert third["removed"] == ["002_f6aab3316618959c.txt"] and third["ingested"] == []


def test_progress_counts_every_file_once_and_only_goes_forward(tmp_path: Path, session: Any) -> None:
    folder = write_corpus(tmp_path / "corpus", 20)
    (folder / "empty.txt").write_text("", encoding="utf-8")
    _ingest(session, session.store, [folder], batch_chunks=1000)
    for i in range(0, 20, 4):
        path = folder / f"storm-{i:03d}.txt"
        path.write_text(path.read_text() + "More rain is expected.\n")
    seen: list[tuple[int, int, str]] = []
    report = _ingest(session, session.store, [folder], batch_chunks=2,
                     progress=lambda done, total, name: seen.append((done, total, name)))
    assert len(report.ingested) == 5 and len(report.unchanged) == 15 and len(report.skipped) == 1
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and seen[-1] == (21, 21, "")
    assert {t for _, t, _ in seen} == {21}


@pytest.mark.parametrize("failing", ["write", "embedding"])
def test_a_failure_in_a_later_batch_keeps_earlier_batches_and_releases_the_lock(
        failing: str, tmp_path: Path, session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_corpus(tmp_path / "corpus", 12)
    calls = {"n": 0}
    if failing == "write":
        original = Store.write_steps

        def write(self: Store, items: list[Any], *args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            steps = original(self, items, *args, **kwargs)
            yield next(steps)  # the chunks are in ...
            if calls["n"] == 2:
                raise RuntimeError("disk full")  # ... but the second batch's records never come
            yield from steps
        monkeypatch.setattr(Store, "write_steps", write)
    else:
        embed = ingest_module._embed

        def embedding(*args: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("model crashed")
            return embed(*args)
        monkeypatch.setattr(ingest_module, "_embed", embedding)

    with pytest.raises(RuntimeError):
        _ingest(session, session.store, [folder], batch_chunks=4)
    stored = session.store.list_articles()
    assert len(stored) == 4  # the first batch, whole; nothing of the failed one is recorded
    if failing == "write":
        assert session.store.chunk_count() == 8  # its chunks, without records: removed by the next run
    monkeypatch.undo()

    result: list[IngestReport] = []  # a rerun in the same process: it would hang if the lock were still held
    rerun = threading.Thread(target=lambda: result.append(_ingest(session, session.store, [folder], 4)), daemon=True)
    rerun.start()
    rerun.join(timeout=300)
    assert result, "the rerun did not finish: the ingest lock was not released"
    assert len(result[0].ingested) == 8 and len(result[0].unchanged) == 4
    assert_clean(session.store, [folder])


@pytest.mark.slow
def test_killed_between_a_batch_chunks_and_its_records_then_rerun_equals_a_clean_run(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(tmp_path, tmp_path_factory)
    folder = write_corpus(tmp_path / "corpus", 40)
    # Batches of 5 one-chunk articles; killed just before the second batch's article records are written.
    killed = subprocess.run([str(PYTHON), "-c", DRIVER, "before-record", "1", str(folder), "5"], capture_output=True,
                            text=True, env={**os.environ, "ASSISTANT_HOME": str(home)}, timeout=600, check=False)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)

    session = open_store(home, monkeypatch)
    recorded = session.store.list_articles()
    assert len(recorded) == 5  # the first batch is committed ...
    assert session.store.chunk_count() == 10  # ... and the second batch's 5 chunks are in, without records
    report = ingest_in_process(session, [folder])
    assert len(report.ingested) == 35 and len(report.unchanged) == 5 and report.skipped == []
    assert_clean(session.store, [folder])
    assert_keyword_index_matches(session)

    clean = store_named(session, "clean_run")
    _ingest(session, clean, [folder], batch_chunks=5)
    assert_same_store(session.store, clean)


@pytest.mark.slow
def test_the_ingest_command_never_imports_llama_index(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Importing LlamaIndex costs 1-3 s: ingestion writes Chroma records itself, so it never pays for it."""
    home = fresh_home(tmp_path, tmp_path_factory)
    folder = write_corpus(tmp_path / "corpus", 5)
    code = (
        "import json, sys\n"
        f"sys.argv = ['assistant', 'ingest', {str(folder)!r}, '--json']\n"
        "from assistant.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('llama_index.core', 'torch') if m in sys.modules)))\n"
    )
    done = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "ASSISTANT_HOME": str(home)})
    assert done.returncode == 0, done.stderr[-2000:]
    report_line, modules_line = done.stdout.strip().splitlines()[-2:]
    assert len(json.loads(report_line)["ingested"]) == 5
    assert json.loads(modules_line) == []
