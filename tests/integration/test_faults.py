"""Faults: ingestion killed with SIGKILL at chosen and at random points, two ingests at once, `ask` during an
ingest, and a Chroma server that goes away and comes back in the middle of a session.

After every fault the store must be exactly what a clean ingest makes: the same articles with the same hashes,
the same chunk ids, no duplicates and no chunks without an article.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import stop, warm_home
from tests.conftest import SEEDS, free_port
from tests.integration.servers import CHROMA_READY, chroma_command, start_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT = ROOT / ".venv" / "bin" / "assistant"
PYTHON = ROOT / ".venv" / "bin" / "python"
CHROMA = ROOT / ".venv" / "bin" / "chroma"
QUESTION = "How many guards were injured?"
CITIES = ["Lima", "Oslo", "Quito", "Accra", "Riga", "Hanoi", "Perth", "Sofia"]


# Helpers ---------------------------------------------------------------------------------------------

def write_corpus(folder: Path, count: int) -> Path:
    """`count` small deterministic articles (one chunk each) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        rng = random.Random(i)
        city = rng.choice(CITIES)
        (folder / f"storm-{i:03d}.txt").write_text(
            f"Storm report {i} from {city}\n\nA storm numbered {i} hit {city} on day {rng.randint(1, 28)}. "
            f"Officials said {rng.randint(2, 900)} homes lost power in district {i}. "
            f"Repairs in {city} will take {rng.randint(2, 30)} days, the utility said.\n")
    return folder


def run_cli(*args: str, home: Path, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ASSISTANT_HOME": str(home), "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost", **(env or {})}
    return subprocess.run([str(ASSISTANT), *args], capture_output=True, text=True, env=full_env, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def popen_cli(*args: str, home: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ASSISTANT_HOME": str(home), **(env or {})}
    with log.open("wb") as out:
        return subprocess.Popen([str(ASSISTANT), *args], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)


def fresh_home(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, seeded: bool = False) -> Path:
    """A data folder with the embedding model's cached export, and the seeds when `seeded`."""
    home = tmp_path / "home"
    warm = warm_home(tmp_path_factory)
    if seeded:
        shutil.copytree(warm, home, ignore=shutil.ignore_patterns(".ready"))
    else:
        home.mkdir()
        if (warm / "onnx").is_dir():
            shutil.copytree(warm / "onnx", home / "onnx")
    return home


def expected_state(folders: list[Path]) -> tuple[dict[str, tuple[str, str, int]], set[str]]:
    """What a clean ingest stores for these folders: {article id: (source, sha256, chunks)} and the chunk ids."""
    from assistant.config import load_settings
    from assistant.corpus import chunk_article, find_articles, read_article
    from assistant.runtime import count_minilm_tokens

    chunk_tokens = load_settings().chunk_tokens
    articles: dict[str, tuple[str, str, int]] = {}
    chunk_ids: set[str] = set()
    for path in find_articles(folders):
        article = read_article(path.resolve())
        chunks = chunk_article(article, count_minilm_tokens, chunk_tokens)
        articles[article.article_id] = (article.source, article.sha256, len(chunks))
        chunk_ids |= {c.chunk_id for c in chunks}
    return articles, chunk_ids


def open_store(home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from assistant.answer import open_session
    from assistant.config import load_settings

    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    return open_session(load_settings())


def actual_state(store: Any) -> tuple[dict[str, tuple[str, str, int]], list[str], set[str]]:
    """(articles as recorded, every chunk id, the article ids the chunks point to)."""
    articles = {a.article_id: (a.source, a.sha256, a.chunks) for a in store.list_articles()}
    result = store.chunks.get(include=["metadatas"])
    owners = {str((m or {}).get("document_id")) for m in result["metadatas"] or []}
    return articles, list(result["ids"]), owners


def assert_clean(store: Any, folders: list[Path]) -> None:
    """The store holds exactly what a clean run of these folders makes."""
    want_articles, want_chunks = expected_state(folders)
    articles, chunk_ids, owners = actual_state(store)
    assert articles == want_articles
    assert len(chunk_ids) == len(set(chunk_ids))  # no duplicates
    assert set(chunk_ids) == want_chunks
    assert owners <= set(articles)  # no orphans
    assert store.chunk_count() == sum(n for _, _, n in want_articles.values())


def ingest_in_process(session: Any, folders: list[Path]) -> Any:
    from assistant.corpus import ingest_paths

    return ingest_paths(folders, session.store, session.embed_model, session.settings.chunk_tokens)


# SIGKILL at chosen points inside the write path --------------------------------------------------------

DRIVER = """
import os, signal, sys
from pathlib import Path
from chromadb.api.models.Collection import Collection
from assistant.corpus import store as store_module

point, after, folder, batch = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
seen = {"n": 0}

def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)

def counting(original, suffix, run_first):
    def wrapped(self, *args, **kwargs):
        if self.name.endswith(suffix):
            seen["n"] += 1
            if seen["n"] > after:
                if run_first:
                    original(self, *args, **kwargs)
                die()
        return original(self, *args, **kwargs)
    return wrapped

if point == "after-chunk-delete":     # old chunks gone, new ones not written yet
    Collection.delete = counting(Collection.delete, "_chunks", True)
elif point == "before-record":        # all chunks written, the article record (the commit point) not
    Collection.upsert = counting(Collection.upsert, "_articles", False)
elif point == "after-record":         # the record written, the revision not bumped
    original = store_module.Store._bump_revision
    def bump(self):
        seen["n"] += 1
        if seen["n"] > after:
            die()
        original(self)
    store_module.Store._bump_revision = bump

from assistant.config import load_settings
from assistant.answer import open_session
from assistant.corpus import ingest_paths

session = open_session(load_settings())
ingest_paths([folder], session.store, session.embed_model, session.settings.chunk_tokens, batch_chunks=batch)
print("finished without being killed")
"""


@pytest.mark.parametrize("point", ["after-chunk-delete", "before-record", "after-record"])
def test_ingest_killed_inside_a_write_then_rerun_is_clean(point: str, tmp_path: Path,
                                                          tmp_path_factory: pytest.TempPathFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(tmp_path, tmp_path_factory)
    folder = write_corpus(tmp_path / "corpus", 40)
    # Some articles are changed after a first ingest, so that the killed run replaces as well as adds.
    first = subprocess.run([str(PYTHON), "-c", DRIVER, "none", "0", str(folder), "256"], capture_output=True,
                           text=True, env={**os.environ, "ASSISTANT_HOME": str(home)}, timeout=600, check=False)
    assert first.returncode == 0 and "finished" in first.stdout, first.stderr
    for i in range(0, 40, 3):
        path = folder / f"storm-{i:03d}.txt"
        path.write_text(path.read_text() + "The storm season ended early this year, forecasters said.\n")
    for i in range(40, 60):
        (folder / f"storm-{i:03d}.txt").write_text(f"Late storm {i}\n\nStorm {i} reached Lima at dawn. "
                                                    f"It flooded {i} streets.\n")

    reader = open_store(home, monkeypatch)
    reader.retriever.keyword_index.sync()  # a reader's keyword index, up to date before the fault
    reader.retriever.keyword_index.close()
    del reader
    # Batches of 4 one-chunk articles (34 to write: 9 batches); the kill comes in the 4th batch's write.
    killed = subprocess.run([str(PYTHON), "-c", DRIVER, point, "3", str(folder), "4"], capture_output=True,
                            text=True, env={**os.environ, "ASSISTANT_HOME": str(home)}, timeout=600, check=False)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)

    session = open_store(home, monkeypatch)
    report = ingest_in_process(session, [folder])
    assert report.skipped == []
    assert_clean(session.store, [folder])
    again = ingest_in_process(session, [folder])
    assert again.ingested == [] and len(again.unchanged) == 60
    assert_keyword_index_matches(session)


KEYWORD_QUERIES = ["storm Lima homes power", "Repairs district utility days", "Late storm flooded streets dawn",
                   "storm season ended early forecasters", QUESTION]


def assert_keyword_index_matches(session: Any) -> None:
    """The keyword index kept beside the store holds exactly the store's chunks, with their current text and
    records, and finds for a fixed set of queries the chunks an index built from scratch finds."""
    from assistant.corpus import KeywordIndex

    index = session.retriever.keyword_index
    index.sync()
    stored = session.store.get_chunks()
    assert index.chunk_ids() == {c.chunk_id for c in stored}  # no chunk gone, none missing, none twice
    assert index.chunks([c.chunk_id for c in stored]) == stored
    with tempfile.TemporaryDirectory() as folder:
        fresh = KeywordIndex(Path(folder), session.store)
        fresh.sync()
        for query in KEYWORD_QUERIES:
            hits = index.search(query, 1000)
            assert len(hits) == len({c for c, _ in hits})
            assert {c for c, _ in hits} == {c for c, _ in fresh.search(query, 1000)}, query


# SIGKILL inside the keyword index's sync (the last step of `Session.ingest`) ------------------------------

KEYWORD_DRIVER = """
import os, signal, sys
from pathlib import Path
from assistant.corpus import keyword_index

point, folder = sys.argv[1], Path(sys.argv[2])
seen = {"n": 0}

def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)

if point == "before-commit":           # documents deleted and added, not committed
    document = keyword_index.KeywordIndex._document
    def counted(chunk):
        seen["n"] += 1
        if seen["n"] > 10:
            die()
        return document(chunk)
    keyword_index.KeywordIndex._document = staticmethod(counted)
elif point in ("after-commit", "after-articles"):  # committed, not recorded; recorded, the revision not
    replace = keyword_index._replace
    def replacing(path, text):
        seen["n"] += 1
        if seen["n"] > (0 if point == "after-commit" else 1):
            die()
        replace(path, text)
    keyword_index._replace = replacing

from assistant.config import load_settings
from assistant.answer import open_session

session = open_session(load_settings())
session.ingest([folder], warn=print, progress=lambda done, total, name: None, prune=True)
print("finished without being killed")
"""


@pytest.mark.parametrize("point", ["before-commit", "after-commit", "after-articles"])
def test_ingest_killed_inside_the_keyword_index_sync_then_rerun_is_clean(point: str, tmp_path: Path,
                                                                         tmp_path_factory: pytest.TempPathFactory,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed while its keyword index sync deletes and adds the changed articles' chunks, after its commit, or
    after recording its articles: a rerun leaves the store and the keyword index as a clean run does."""
    home = fresh_home(tmp_path, tmp_path_factory)
    folder = write_corpus(tmp_path / "corpus", 40)
    env = {**os.environ, "ASSISTANT_HOME": str(home)}
    first = subprocess.run([str(PYTHON), "-c", KEYWORD_DRIVER, "none", str(folder)], capture_output=True, text=True,
                           env=env, timeout=600, check=False)
    assert first.returncode == 0 and "finished" in first.stdout, first.stderr
    for i in range(0, 40, 3):  # changed (their chunks replaced in the index) and removed ones
        path = folder / f"storm-{i:03d}.txt"
        path.write_text(path.read_text() + "The storm season ended early this year, forecasters said.\n")
    for i in range(40, 60):
        (folder / f"storm-{i:03d}.txt").write_text(f"Late storm {i}\n\nStorm {i} reached Lima at dawn. "
                                                    f"It flooded {i} streets.\n")
    (folder / "storm-001.txt").unlink()
    killed = subprocess.run([str(PYTHON), "-c", KEYWORD_DRIVER, point, str(folder)], capture_output=True, text=True,
                            env=env, timeout=600, check=False)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)

    session = open_store(home, monkeypatch)
    report = session.ingest([folder], warn=print, progress=lambda done, total, name: None, prune=True)
    assert report.ingested == [] and report.skipped == []
    assert_clean(session.store, [folder])
    assert_keyword_index_matches(session)


def _stored_vectors(home: Path, collection_suffix: str = "") -> int:
    """Rows in the embedded store's table of vectors (of the collections whose names end with the suffix), read
    without Chroma (read-only, never blocking writers)."""
    path = home / "chroma" / "chroma.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute(
                "SELECT count(*) FROM embeddings e JOIN segments s ON e.segment_id = s.id "
                "JOIN collections c ON s.collection = c.id WHERE c.name LIKE ?", (f"%{collection_suffix}",),
            ).fetchone()[0])
    except sqlite3.Error:
        return 0


def test_the_ingest_command_killed_half_way_through_1500_articles(tmp_path: Path,
                                                                   tmp_path_factory: pytest.TempPathFactory,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(tmp_path, tmp_path_factory)
    folder = write_corpus(tmp_path / "corpus", 1500)
    # Batches of 256 chunks (the setting; 4,096 by default would take all 1,500 one-chunk articles in one batch).
    process = popen_cli("ingest", str(folder), home=home, log=tmp_path / "killed.log",
                        env={"ASSISTANT_INGEST_BATCH_CHUNKS": "256"})
    try:
        deadline = time.monotonic() + 300
        # Articles are written in batches, chunks first: wait for the first batch's article records (the commit
        # point), so that the kill lands after at least one batch and, with 1,500 one-chunk articles, before the last.
        while time.monotonic() < deadline and process.poll() is None and _stored_vectors(home, "_articles") < 1:
            time.sleep(0.05)
        assert process.poll() is None, "the ingest finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        stop(process)
    session = open_store(home, monkeypatch)
    stored = len(session.store.list_articles())
    assert 0 < stored < 1500  # it really was killed half-way
    del session

    result = run_cli("ingest", str(folder), "--json", home=home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["ingested"]) + len(report["unchanged"]) == 1500 and report["skipped"] == []
    assert_clean(open_store(home, monkeypatch).store, [folder])


# Concurrency --------------------------------------------------------------------------------------------

def test_two_ingests_of_the_same_folder_at_once(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(tmp_path, tmp_path_factory)
    folder = write_corpus(tmp_path / "corpus", 80)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    processes = [popen_cli("ingest", str(folder), "--json", home=home, log=log) for log in logs]
    try:
        for process in processes:
            assert process.wait(timeout=600) == 0
    finally:
        for process in processes:
            stop(process)
    reports = [json.loads(log.read_text().strip().splitlines()[-1]) for log in logs]
    assert sorted(len(r["ingested"]) for r in reports) == [0, 80]  # one wrote everything, the other nothing
    assert sorted(len(r["unchanged"]) for r in reports) == [0, 80]
    waited = [log.read_text() for log in logs]
    assert any("another ingest is writing to this store" in text for text in waited)
    assert_clean(open_store(home, monkeypatch).store, [folder])


def test_ask_while_an_ingest_is_running(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(tmp_path, tmp_path_factory, seeded=True)
    folder = write_corpus(tmp_path / "corpus", 150)
    ingest = popen_cli("ingest", str(folder), home=home, log=tmp_path / "ingest.log")
    answers = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and ingest.poll() is None and _stored_vectors(home) < 40:
            time.sleep(0.05)
        for _ in range(2):
            result = run_cli("ask", "--json", QUESTION, home=home)
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
            answers.append(json.loads(result.stdout))
        assert ingest.wait(timeout=600) == 0, (tmp_path / "ingest.log").read_text()
    finally:
        stop(ingest)
    for answer in answers:
        assert answer["abstained"] is False and "seven" in answer["answer"].lower()
        for citation in answer["citations"]:
            text = Path(citation["source"]).read_text(encoding="utf-8")
            assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert_clean(open_store(home, monkeypatch).store, [SEEDS, folder])


# A Chroma server that goes away ---------------------------------------------------------------------------

def _start_chroma(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`chroma run` on this port (the same one again after a restart), once it answers."""
    started = start_server(chroma_command(data, port), f"http://127.0.0.1:{port}{CHROMA_READY}", log)
    if started is None:
        pytest.fail(f"chroma did not start:\n{log.read_text(errors='replace')[-2000:]}")
    return started[0]


def test_a_chroma_server_restarted_during_a_session(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import store_error

    port, data, log = free_port(), tmp_path / "chroma-data", tmp_path / "chroma.log"
    home = fresh_home(tmp_path, tmp_path_factory)
    url = f"http://127.0.0.1:{port}"
    server = _start_chroma(data, port, log)
    try:
        monkeypatch.setenv("CHROMA_URL", url)
        session = open_store(home, monkeypatch)
        ingest_in_process(session, [SEEDS])
        before = session.retriever.retrieve_chunks(QUESTION, 5)
        assert before

        stop(server)  # gone in the middle of the session
        with pytest.raises(Exception) as raised:
            session.store.list_articles()
        message = store_error(raised.value)
        assert message is not None and "lost the connection to the Chroma server" in str(message)
        down = run_cli("sources", "--json", home=home, env={"CHROMA_URL": url}, timeout=120)
        assert down.returncode == 1 and down.stdout == ""
        assert down.stderr.startswith("error: cannot reach the Chroma server") and "Traceback" not in down.stderr

        server = _start_chroma(data, port, log)  # back, on the same port with the same data
        assert [c.chunk_id for c in session.retriever.retrieve_chunks(QUESTION, 5)] == [c.chunk_id for c in before]
        assert_clean(session.store, [SEEDS])
        up = run_cli("sources", "--json", home=home, env={"CHROMA_URL": url}, timeout=120)
        assert up.returncode == 0 and len(json.loads(up.stdout)) == 5
    finally:
        stop(server)
