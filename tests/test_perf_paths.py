"""The fast paths behave like the slow ones: light `--help`, batched writes, queries without a count first.

Functional checks only; timings live in `bench/` (never asserted here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.ingest import Article, chunk_article, parse_article
from assistant.models import count_minilm_tokens
from assistant.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_index.core", "chromadb", "onnxruntime", "llama_cpp")


def _last_json_line(code: str, home: Path | None = None) -> Any:
    """Run `code` in a fresh interpreter (its data under `home`, if given), which must exit 0; the last line it
    printed, parsed as JSON."""
    env = {**os.environ, "ASSISTANT_HOME": str(home)} if home is not None else None
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_imports_no_heavy_module() -> None:
    """Nor pydantic: the settings' import alone took 0.3 s of a 0.6 s `--help` on a slow host."""
    code = (
        "import json, sys\n"
        "sys.argv = ['assistant', '--help']\n"
        "from assistant.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {(*HEAVY, 'pydantic', 'pydantic_settings')!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert "Usage" in done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_objects_are_frozen_before_the_interpreter_collects_them_at_exit() -> None:
    """`main` freezes the heap at exit, after the atexit handlers registered later, so that Python's last
    collections skip every object (0.3-0.4 s after `ask`). A handler registered before `main` runs after it."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0, flush=True))\n"
        "sys.argv = ['assistant', '--help']\n"
        "from assistant.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "atexit.register(lambda: print('late handler saw frozen:', gc.get_freeze_count() > 0, flush=True))\n"
        "print('frozen before exit:', gc.get_freeze_count() > 0, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-3:] == [
        "frozen before exit: False", "late handler saw frozen: False", "frozen at exit: True"]


def test_every_module_of_the_project_has_current_bytecode() -> None:
    """`make setup` compiles the project's modules: Python does not write their bytecode itself when
    PYTHONDONTWRITEBYTECODE is set (this machine's environment, many container images), and every `assistant`
    process then compiled them from source (~0.1 s of an `ask`). Bytecode is current when its header holds the
    source's modification time and size (Python's default check); run `make setup` after editing a module."""
    import importlib.util
    import struct

    stale = []
    for source in sorted((ROOT / "assistant").glob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16] if cached.exists() else b""
        stat = source.stat()
        if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER or struct.unpack("<III", header[4:16]) != (
                0, int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF):
            stale.append(source.name)
    assert stale == []


def test_chromadb_imported_without_signature_checks_works_and_restores_them(tmp_path: Path) -> None:
    """`import_chromadb` skips `@override`'s signature checks during the import only: Chroma's classes still
    carry the marks its `EnforceOverrides` metaclass wants, a store works, and the real decorator is back after."""
    code = (
        "import json, sys, overrides\n"
        "real = overrides.override, overrides.overrides\n"
        "from assistant.chroma_import import import_chromadb\n"
        "chromadb = import_chromadb()\n"
        "from chromadb.api.segment import SegmentAPI\n"
        f"client = chromadb.PersistentClient(path={str(tmp_path)!r})\n"
        "c = client.get_or_create_collection('marks', embedding_function=None)\n"
        "c.add(ids=['a', 'b'], embeddings=[[1.0, 0.0], [0.0, 1.0]], metadatas=[{'k': 1}, {'k': 2}])\n"
        "hit = c.query(query_embeddings=[[0.9, 0.1]], n_results=1, where={'k': 1})['ids'][0]\n"
        "print(json.dumps({'restored': (overrides.override, overrides.overrides) == real,\n"
        "                  'marked': getattr(SegmentAPI.heartbeat, '__override__', False), 'hit': hit,\n"
        "                  'again': import_chromadb() is chromadb}))\n"
    )
    assert _last_json_line(code, tmp_path) == {"restored": True, "marked": True, "hit": ["a"], "again": True}


def test_chromadb_reads_its_settings_from_the_environment_once_during_its_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `Settings()` Chroma builds as default arguments while it is imported read the environment once, not
    seven times; each is its own validated instance with the environment's values, and pydantic-settings' own
    method is back after the import (a later `Settings()` reads the environment as usual)."""
    monkeypatch.setenv("CHROMA_SERVER_HTTP_PORT", "1234")
    code = (
        "import inspect, json\n"
        "from pydantic_settings import BaseSettings\n"
        "real = BaseSettings.__dict__['_settings_build_values']\n"
        "reads = []\n"
        "def counted(cls, sources, init_kwargs):\n"
        "    reads.append(cls.__module__)\n"
        "    return real.__func__(cls, sources, init_kwargs)\n"
        "BaseSettings._settings_build_values = classmethod(counted)\n"
        "from assistant.chroma_import import LOCAL_CLIENT, import_chromadb\n"
        "chromadb = import_chromadb(*LOCAL_CLIENT)\n"
        "import chromadb.api.client as api_client, chromadb.api.async_client as async_client\n"
        "from chromadb.config import Settings\n"
        "defaults = [inspect.signature(f).parameters['settings'].default for f in (\n"
        "    api_client.Client.__init__, api_client.AdminClient.__init__, async_client.AsyncClient.create,\n"
        "    async_client.AsyncAdminClient.__init__, chromadb.AdminClient)]\n"
        "during = len(reads)\n"
        "later = Settings()\n"
        "print(json.dumps({'reads': during, 'after': len(reads) - during,\n"
        "    'ports': [d.chroma_server_http_port for d in defaults], 'distinct': len({id(d) for d in defaults}),\n"
        "    'same_values': all(d.model_dump() == later.model_dump() for d in defaults),\n"
        "    'restored': BaseSettings.__dict__['_settings_build_values'].__func__ is counted}))\n"
    )
    assert _last_json_line(code, tmp_path) == {"reads": 1, "after": 1, "ports": [1234] * 5, "distinct": 5,
                                               "same_values": True, "restored": True}


def test_opening_a_store_or_a_server_client_runs_no_signature_check(tmp_path: Path) -> None:
    """Chroma imports its API class when a client is created: `connect` has it imported with chromadb, marked
    but unchecked (the checks of `chromadb.api.rust` alone took 0.13 s of opening the local store)."""
    code = (
        "import json, sys\n"
        "import overrides\n"
        "checks = sys.modules['overrides.overrides']  # the module, which the package's function hides\n"
        "calls = []\n"
        "real = checks._validate_method\n"
        "checks._validate_method = lambda *a, **k: (calls.append(a[0].__qualname__), real(*a, **k))[1]\n"
        "from assistant.chroma_import import SERVER_CLIENT, import_chromadb\n"
        "from assistant.config import load_settings\n"
        "from assistant.store import open_store\n"
        "store = open_store(load_settings(), 'all-MiniLM-L6-v2')\n"
        "empty = store.is_empty()\n"
        "import_chromadb(*SERVER_CLIENT)\n"
        "from chromadb.api.fastapi import FastAPI\n"
        "from chromadb.api.rust import RustBindingsAPI\n"
        "marked = [getattr(c.heartbeat, '__override__', False) for c in (FastAPI, RustBindingsAPI)]\n"
        "class Checked(RustBindingsAPI):\n"
        "    @overrides.overrides\n"
        "    def heartbeat(self) -> int:\n"
        "        return 0\n"
        "print(json.dumps({'calls': calls, 'empty': empty, 'marked': marked}))\n"
    )
    assert _last_json_line(code, tmp_path) == {"calls": ["Checked.heartbeat"], "empty": True, "marked": [True, True]}


def test_modules_chromadb_imports_for_unused_paths_load_at_their_first_use(tmp_path: Path) -> None:
    """Chroma's embedding-function registry, the OpenTelemetry gRPC exporter and httpx's CLI are not imported
    with chromadb (nor by a store's work), and each is the real thing as soon as something uses it: a collection
    configuration naming Chroma's default embedding function, a tracing exporter, an `import` of the module."""
    code = (
        "import json, sys\n"
        "from assistant.chroma_import import DEFERRED, import_chromadb\n"
        "from assistant.config import load_settings\n"
        "from assistant.store import open_store\n"
        "import_chromadb()\n"
        "def loaded():\n"
        "    return sorted(n for n in DEFERRED if n in sys.modules)\n"
        "stand_ins = [n for n, m in sys.modules.items() if getattr(m, '_assistant_stand_in', False)]\n"
        "after_import = loaded()\n"
        "from assistant.ingest import chunk_article, parse_article\n"
        "from assistant.models import count_minilm_tokens\n"
        "store = open_store(load_settings(), 'all-MiniLM-L6-v2')\n"
        "article = parse_article('/news/a.txt', 'Fire in Oslo\\n\\nA warehouse burned on Friday. Nobody was hurt.')\n"
        "chunks = chunk_article(article, count_minilm_tokens, 16)\n"
        "store.write_articles([(article, chunks, [[1.0] + [0.0] * 383] * len(chunks))])\n"
        "hits = [c.text for c in store.get_chunks([i for i, _ in store.nearest([1.0] + [0.0] * 383, 1)])]\n"
        "removed = store.remove_articles([article.article_id])\n"
        "after_store = loaded(), hits, removed, store.list_articles()\n"
        "from chromadb.api.collection_configuration import load_collection_configuration_from_json\n"
        "config = load_collection_configuration_from_json(\n"
        "    {'embedding_function': {'type': 'known', 'name': 'default', 'config': {}}})\n"
        "from chromadb.utils.embedding_functions import DefaultEmbeddingFunction, known_embedding_functions\n"
        "from chromadb.telemetry.opentelemetry import OTLPSpanExporter\n"
        "exporter = OTLPSpanExporter(endpoint='http://127.0.0.1:9')\n"
        "from opentelemetry.exporter.otlp.proto.grpc import trace_exporter\n"
        "real_exporter = type(exporter) is trace_exporter.OTLPSpanExporter\n"
        "exporter.shutdown()\n"
        "import httpx._main\n"
        "print(json.dumps({'stand_ins': stand_ins, 'after_import': after_import, 'after_store': after_store,\n"
        "    'ef': type(config['embedding_function']) is DefaultEmbeddingFunction,\n"
        "    'registry': 'default' in known_embedding_functions and 'openai' in known_embedding_functions,\n"
        "    'exporter': real_exporter, 'httpx_cli': callable(httpx._main.main), 'loaded': loaded()}))\n"
    )
    assert _last_json_line(code, tmp_path) == {
        "stand_ins": [], "after_import": [],
        "after_store": [[], ["Fire in Oslo A warehouse burned on Friday. Nobody was hurt."], 1, []],
        "ef": True, "registry": True, "exporter": True, "httpx_cli": True,
        "loaded": ["chromadb.utils.embedding_functions", "httpx._main",
                   "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"]}


@pytest.mark.slow
def test_ask_on_the_embedded_model_never_imports_llama_index_or_torch(seeded_home: Path) -> None:
    """LlamaIndex costs 1-3 s to import: the embedded `ask` path must not pay for it (nor for torch), nor for
    garbage collections while it starts; its models load while the rest is imported."""
    code = (
        "import gc, json, sys\n"
        "starting = []  # collections once the engine's module is imported and before `ask` froze what it made\n"
        "def seen(phase, info):\n"
        "    if phase == 'start' and 'assistant.engine' in sys.modules and not gc.get_freeze_count():\n"
        "        starting.append(info['generation'])\n"
        "gc.callbacks.append(seen)\n"
        "import importlib.abc, threading\n"
        "loading = []  # helper threads loading the models when the engine's import begins\n"
        "class Watch(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'assistant.engine':\n"
        "            loading.append(sum(t.name == 'warm-up' for t in threading.enumerate()))\n"
        "sys.meta_path.insert(0, Watch())\n"
        "sys.argv = ['assistant', 'ask', '--json', 'How many guards were injured?']\n"
        "from assistant.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "gc.callbacks.remove(seen)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
        "print(json.dumps([starting, gc.isenabled(), gc.get_freeze_count()]))\n"
        "print(json.dumps(loading))\n"
    )
    env = {**os.environ, "ASSISTANT_HOME": str(seeded_home)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    answer_line, modules_line, collector_line, loading_line = done.stdout.strip().splitlines()[-4:]
    assert "seven" in json.loads(answer_line)["answer"].lower()
    assert json.loads(modules_line) == ["chromadb", "llama_cpp", "onnxruntime"]
    # Starting walks no heap (~40 collections while the engine, Chroma and the models load, otherwise); after
    # `ask`, collection is on again and nothing is left frozen.
    assert json.loads(collector_line) == [[], True, 0]
    # The models (ONNX session; llama.cpp weights and prompt start) load while the engine and Chroma are imported.
    (threads,) = json.loads(loading_line)
    assert threads >= 1


@pytest.mark.slow
def test_the_baseline_runs_llamaindex_on_our_retriever_and_local_model(seeded_session) -> None:  # type: ignore[no-untyped-def]
    """The adapters let LlamaIndex's CitationQueryEngine use the hybrid retriever and the GGUF model."""
    from assistant.baseline import Baseline
    from assistant.models import LlamaCppLLM, smollm2_path

    llm = LlamaCppLLM(model_path=str(smollm2_path()), model_label="smollm2", max_tokens=24)
    answer = Baseline(seeded_session.retriever, llm).ask("How many guards were injured?")
    assert answer.error is None and answer.answer
    assert any(source.endswith("004_080663b71aaf09f0.txt") for source in answer.retrieved)


def _vectors(count: int, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [[float(x) for x in v] for v in vectors]


ARTICLES = {
    "/news/a.txt": "Drone strikes residence\n\nSeven guards were injured in the attack. "
                   "The prime minister was unharmed.",
    "/news/b.txt": "Rates rise again\n\nThe central bank raised rates by half a point. Markets fell on Thursday. "
                   "Analysts expect another rise in March.",
    "/news/c.txt": "Flood in Lima\n\nThe river burst its banks on Monday. Three hundred homes were flooded.",
}


def _fill(store: Store, batched: bool) -> None:
    items = []
    for seed, (source, text) in enumerate(ARTICLES.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        items.append((article, chunks, _vectors(len(chunks), seed)))
    if batched:
        store.write_articles(items)
    else:
        for item in items:
            store.write_article(*item)


def _snapshot(store: Store) -> tuple[object, object, object]:
    chunks = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    articles = store.articles.get(include=["documents", "metadatas", "embeddings"])
    texts = store.texts.get(include=["documents", "metadatas", "embeddings"])

    def rows(result: dict) -> list[tuple]:  # type: ignore[type-arg]
        out = []
        for i, d, m, e in zip(result["ids"], result["documents"], result["metadatas"], result["embeddings"],
                              strict=True):
            meta = {k: v for k, v in (m or {}).items() if k != "ingested_at"}
            out.append((i, d, json.dumps(meta, sort_keys=True), np.round(np.asarray(e), 6).tolist()))
        return sorted(out)

    return rows(chunks), rows(articles), rows(texts)


def test_batched_writes_store_exactly_what_single_writes_store(isolated_home: Path) -> None:
    settings = load_settings()
    single = open_store(settings.model_copy(update={"collection": "single"}), "all-MiniLM-L6-v2")
    batch = open_store(settings.model_copy(update={"collection": "batch"}), "all-MiniLM-L6-v2")
    _fill(single, batched=False)
    _fill(batch, batched=True)
    assert single.chunk_count() > len(ARTICLES)
    assert _snapshot(single) == _snapshot(batch)
    # Writing the same articles again replaces their chunks, batched or not.
    revision = batch.revision()
    _fill(batch, batched=True)
    assert batch.revision() != revision
    assert _snapshot(single) == _snapshot(batch)
    assert batch.write_articles([]) is None


def test_a_reader_sees_every_change_of_a_killed_write_without_counting_articles(isolated_home: Path) -> None:
    """`Store.revision` is one metadata read: while article records are changed (or were, by a writer killed
    before it moved the revision) it is None and the keyword index syncs at each search; the next ingest moves
    it on. A replaced article (same count) is seen too, which the article count the revision used to carry
    could not show."""
    from assistant.retrieval import KeywordIndex

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    _fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    index.sync()
    settled = store.revision()
    assert settled and index.sync() == 0
    assert not [h for h in index.search("hurricane", 5)]

    def killed_replacing(source: str, text: str) -> tuple[Article, list[str | None]]:
        """A writer replaces an article, and is killed after its record is in, before the revision moves."""
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        revisions = []
        for _ in store.write_steps([(article, chunks, _vectors(len(chunks), 7))], {article.article_id}):
            revisions.append(store.revision())
            if store.articles.get(ids=[article.article_id])["metadatas"][0]["sha256"] == article.sha256:
                break
        return article, revisions

    b, revisions = killed_replacing("/news/b.txt", "Rates rise\n\nA hurricane closed the central bank on Thursday.")
    assert None in revisions and store.revision() is None
    assert store.articles.count() == len(ARTICLES)  # a replacement: the count alone would not show it
    assert index.sync() == 1
    assert [h for h, _ in index.search("hurricane", 5)] == [c.chunk_id for c in store.get_chunks(
        article_ids=[b.article_id])]
    killed_replacing("/news/c.txt", "Flood in Lima\n\nThe hurricane reached Lima on Monday.")
    assert index.sync() == 1  # still unsettled: checked again at the next search
    assert len(index.search("hurricane", 5)) == 2

    store.remove_orphan_chunks()  # what the next ingest does first: the killed writer's mark goes
    assert store.revision() not in (None, settled)
    assert index.sync() == 0 and index.sync() == 0  # settled again: one metadata read per search
    assert store.remove_articles([b.article_id]) == 1
    assert index.sync() == 0 and len(index.search("hurricane", 5)) == 1


def test_nearest_without_count(isolated_home: Path) -> None:
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    probe = _vectors(1, 99)[0]
    assert store.nearest(probe, 5) == []  # empty collection
    _fill(store, batched=True)
    total = store.chunk_count()
    found = store.nearest(probe, total + 20)  # more than there are
    assert len(found) == total
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    assert len(store.nearest(probe, 2)) == 2


def test_article_texts_are_written_before_records_and_orphans_go(isolated_home: Path) -> None:
    """Chunks and article texts carry no Chroma document (Chroma's full-text index of them was half the cost of
    a write); the article record still commits last, and an ingest stopped after the texts leaves nothing
    that lists, and nothing once orphans are removed."""
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    items = []
    for seed, (source, text) in enumerate(ARTICLES.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        items.append((article, chunks, _vectors(len(chunks), seed)))
    steps = store.write_steps(items, slice_chunks=None)
    while not store.texts.count():  # up to the step that writes the texts
        next(steps)
    written = store.chunk_count()
    assert store.list_articles() == [] and written > 0
    assert store.remove_orphan_chunks() == written
    assert store.chunk_count() == 0 and store.texts.count() == 0
    store.write_articles(items)
    assert store.chunks.get(include=["documents"])["documents"] == [None] * store.chunk_count()
    assert store.articles.get(include=["documents"])["documents"] == [None] * len(items)
    for article, chunks, _ in items:
        assert store.article_text(article.article_id) == article.text
        assert [c.text for c in store.get_chunks(article_ids=[article.article_id])] == [
            chunk.text(article.text) for chunk in chunks]
    assert store.remove_articles([items[0][0].article_id]) == 1
    assert store.article_text(items[0][0].article_id) is None
    assert store.texts.count() == len(items) - 1


@pytest.mark.slow
def test_stock_llamaindex_reads_batched_chunks(isolated_home: Path) -> None:
    """Chunks written in batches stay readable by LlamaIndex's own ChromaVectorStore."""
    from llama_index.core.vector_stores.types import VectorStoreQuery

    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    _fill(store, batched=True)
    result = store.vector_store().query(VectorStoreQuery(query_embedding=_vectors(1, 0)[0], similarity_top_k=2))
    assert len(result.nodes) == 2
    assert all(node.get_content() for node in result.nodes)


def test_local_model_threads_default_to_half_the_cpus_and_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.models import LlamaCppLLM, llm_for

    default = LlamaCppLLM("model.gguf", "m")
    assert default.threads == max(1, len(os.sched_getaffinity(0)) // 2) and default.adapt_threads
    monkeypatch.setenv("ASSISTANT_LLM_THREADS", "3")
    llm = llm_for(load_settings())
    assert llm.threads == 3 and not llm.adapt_threads  # a set count is used as it is, for every reply


def test_a_failed_warm_up_is_raised_in_the_asking_thread() -> None:
    from assistant.models import Loading

    def fail() -> None:
        raise RuntimeError("cannot load")

    ran = []
    with pytest.raises(RuntimeError, match="cannot load"), Loading(fail):
        ran.append(True)
    assert ran == [True]


def test_warm_ups_run_at_once_and_each_error_is_raised() -> None:
    import threading

    from assistant.models import Loading

    both = threading.Barrier(2, timeout=10)  # each waits for the other: only passes if they run at the same time
    with Loading(both.wait, None, both.wait):
        pass

    def fail() -> None:
        raise RuntimeError("cannot load")

    with pytest.raises(RuntimeError, match="cannot load"), Loading(lambda: None, fail):
        pass


def _primed(settings: Any, folder: Path | None) -> tuple[Any, object]:
    """A fresh local model primed as `ask` primes it, and what `prime` said."""
    from assistant.models import LlamaCppLLM, smollm2_path, warm_up

    llm = LlamaCppLLM(str(smollm2_path()), "smollm2", max_tokens=settings.max_answer_tokens, prompt_cache=folder)
    prepare = warm_up(llm)
    assert prepare is not None
    return llm, prepare()


def _tokens(llm: Any) -> list[int]:
    return [int(t) for t in llm._llama.input_ids[: llm._llama.n_tokens]]


@pytest.mark.slow
def test_a_primed_local_model_reuses_the_system_prompt_and_answers_the_same(seeded_session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`ask` evaluates the fixed start of the prompt while Chroma loads (`models.warm_up`), or restores it from
    the data folder when an earlier process kept it; the answer's prompt then starts from it, and every answer
    is the one a fresh model gives."""
    from assistant.models import LlamaCppLLM, smollm2_path

    settings, folder = seeded_session.settings, tmp_path / "prompts"
    questions = ["How many guards were injured?", "When did Al-Kadhimi become prime minister?",
                 "Who won the 2018 FIFA World Cup?"]
    for n, question in enumerate(questions):
        fresh = seeded_session.engine(llm=LlamaCppLLM(str(smollm2_path()), "smollm2",
                                                      max_tokens=settings.max_answer_tokens)).ask(question)
        for cache in (None, folder):
            llm, status = _primed(settings, cache)
            assert status == ("evaluated" if cache is None or n == 0 else "restored")
            primed = _tokens(llm)
            assert len(primed) > 50  # the system message and the chat template around it
            answer = seeded_session.engine(llm=llm).ask(question)
            assert (answer.answer, answer.abstained) == (fresh.answer, fresh.abstained)
            asked = _tokens(llm)
            shared = next((i for i, (a, b) in enumerate(zip(primed, asked, strict=False)) if a != b), len(primed))
            assert shared >= len(primed) - 8  # all but the end of the primer's short user message is reused


@pytest.mark.slow
def test_a_damaged_prompt_state_is_evaluated_again_and_replaced(seeded_session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, folder = seeded_session.settings, tmp_path / "prompts"
    llm, status = _primed(settings, folder)
    assert status == "evaluated"
    (kept,) = folder.glob("*.kv")
    good, tokens = kept.read_bytes(), _tokens(llm)
    for damaged in (good[:-1] + bytes([good[-1] ^ 1]), good[: len(good) // 2], b"", b"ASSISTANT-KV\xff\xff\xff\x7f{"):
        kept.write_bytes(damaged)
        llm, status = _primed(settings, folder)
        assert (status, _tokens(llm)) == ("evaluated", tokens)
        assert kept.read_bytes() == good  # replaced by a whole one
    llm, status = _primed(settings, folder)
    assert (status, _tokens(llm)) == ("restored", tokens)


@pytest.mark.slow
def test_retrieved_sentence_vectors_are_kept_for_the_next_question(embedded_engine) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    embedded_engine.ask("How many drones were used in the attack?")
    cache = embedded_engine.vector_cache
    assert cache is not None
    (rows,) = sqlite3.connect(cache.path).execute("SELECT count(*) FROM vectors").fetchone()
    assert rows >= 10


def test_dense_search_ranks_ids_by_cosine_and_retrieval_reads_the_chosen_records_from_the_keyword_index(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`Store.nearest` asks Chroma for ids and distances only; the retriever then reads the records of the chunks
    it keeps from the keyword index (synced with the store), not from Chroma, and returns them in fused order,
    equal to the store's records; a record the index lacks is read from the store."""
    from assistant.retrieval import build_retriever

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    items = []
    for seed, (source, text) in enumerate(ARTICLES.items()):
        article = parse_article(source, text)
        chunks = chunk_article(article, count_minilm_tokens, 16)
        items.append((article, chunks, _vectors(len(chunks), seed)))
    store.write_articles(items)
    query = _vectors(1, 99)[0]
    pairs = [(c.chunk_id, float(np.dot(query, v))) for _, cs, vs in items for c, v in zip(cs, vs, strict=True)]
    by_cosine = sorted(pairs, key=lambda hit: -hit[1])
    nearest = store.nearest(query, 4)
    assert [i for i, _ in nearest] == [i for i, _ in by_cosine[:4]]
    assert [round(s, 4) for _, s in nearest] == [round(s, 4) for _, s in by_cosine[:4]]

    class Fixed:
        def get_query_embedding(self, text: str) -> list[float]:
            return query

    reads: list[list[str] | None] = []
    get_chunks = store.get_chunks
    monkeypatch.setattr(store, "get_chunks", lambda chunk_ids=None, article_ids=None: (
        reads.append(chunk_ids), get_chunks(chunk_ids, article_ids))[1])
    retriever = build_retriever(store, Fixed(), settings.keyword_index_path, top_k=3)  # type: ignore[arg-type]
    retriever.keyword_index.sync()
    reads.clear()
    found = retriever.retrieve_chunks("central bank rates", 3)
    assert reads == [] and len(found) == 3
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    texts = {c.chunk_id: c.text(a.text) for a, cs, _ in items for c in cs}
    assert all(c.text == texts[c.chunk_id] for c in found)
    assert any("central bank" in c.text for c in found)  # the keyword side counts
    stored = get_chunks([c.chunk_id for c in found])
    assert [{**c.__dict__, "score": 0.0} for c in found] == [c.__dict__ for c in stored]

    held = retriever.keyword_index.chunks  # an index behind the store (another process writing): a record missing
    monkeypatch.setattr(retriever.keyword_index, "chunks",
                        lambda ids: [c for c in held(ids) if c.chunk_id != found[1].chunk_id])
    again = retriever.retrieve_chunks("central bank rates", 3)
    assert reads == [[found[1].chunk_id]] and again == found


def test_a_keyword_index_of_the_earlier_schema_is_built_again(isolated_home: Path) -> None:
    """An index file written before the records were kept in it (no schema mark) is dropped and rebuilt on open:
    its revision matched the store's, so without the mark the empty records would never be filled. A current
    file is opened without a write."""
    from assistant.retrieval import SCHEMA, KeywordIndex

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    _fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    index.sync()
    ids = [c.chunk_id for c in store.get_chunks()]
    index.db.executescript("DROP TABLE records; DELETE FROM meta WHERE key='schema';")  # as schema 1 left it
    index.close()
    index = KeywordIndex(settings.keyword_index_path, store)
    assert index.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (SCHEMA,)
    assert index.chunks(ids) == [] and index.sync() > 0
    assert index.chunks(ids) == store.get_chunks(chunk_ids=ids) and index.sync() == 0
    index.close()
    index = KeywordIndex(settings.keyword_index_path, store)  # current: opened without writing (nor a write lock)
    assert index.db.total_changes == 0 and index.sync() == 0
    assert [h for h, _ in index.search("guards", 5)] == [c.chunk_id for c in store.get_chunks() if "guards" in c.text]


def test_keyword_index_sync_reports_the_articles_it_indexes(isolated_home: Path) -> None:
    from assistant.retrieval import KeywordIndex

    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    _fill(store, batched=True)
    index = KeywordIndex(settings.keyword_index_path, store)
    heard: list[tuple[int, int]] = []
    assert index.sync(lambda done, total: heard.append((done, total))) == 3
    assert heard == [(0, 3), (3, 3)]
    assert index.sync(lambda done, total: heard.append((done, total))) == 0 and len(heard) == 2  # nothing to do


def test_ingest_leaves_the_keyword_index_up_to_date_and_ask_says_when_it_must_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ingest` indexes its articles for keyword search itself, so the next question pays nothing for it; an `ask`
    that must index many (here: the index file lost) says so on stderr, and its JSON on stdout stays clean."""
    from assistant.cli import INDEXING_NOTICE_ARTICLES
    from assistant.retrieval import KeywordIndex
    from tests.cli_helpers import QUESTION, run_cli
    from tests.conftest import SEEDS

    home = tmp_path / "home"
    assert run_cli("ingest", str(SEEDS), "--json", home=home).returncode == 0
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    settings = load_settings()
    store = open_store(settings, "all-MiniLM-L6-v2")
    index = KeywordIndex(settings.keyword_index_path, store)
    assert index.sync() == 0  # 5 before `ingest` did it
    index.close()
    quiet = run_cli("ask", "--json", QUESTION, home=home)
    assert quiet.returncode == 0 and "keyword index" not in quiet.stderr

    items = []  # more articles, written as another machine's ingest would leave them: not in this index
    for number in range(INDEXING_NOTICE_ARTICLES):
        article = parse_article(f"/elsewhere/{number}.txt", f"Report {number}\n\nCouncil meeting {number} ended late.")
        chunks = chunk_article(article, count_minilm_tokens, 128)
        items.append((article, chunks, _vectors(len(chunks), number)))
    store.write_articles(items)
    first = run_cli("ask", "--json", QUESTION, home=home)
    assert first.returncode == 0, first.stderr
    assert f"Updating the keyword index: {INDEXING_NOTICE_ARTICLES:,} articles to index first." in (
        first.stderr.splitlines())
    assert json.loads(first.stdout)["citations"]
    second = run_cli("ask", "--json", QUESTION, home=home)
    assert second.returncode == 0 and "keyword index" not in second.stderr
    assert json.loads(second.stdout)["answer"] == json.loads(first.stdout)["answer"]


def test_orphan_chunks_are_found_by_their_ids_and_other_ids_by_their_metadata(isolated_home: Path) -> None:
    """Orphans (chunks of no recorded article) go, whatever their id; recorded articles' chunks stay; the
    chunks' metadata is read only for ids that do not name their article (none that this project writes)."""
    store = open_store(load_settings(), "all-MiniLM-L6-v2")
    _fill(store, batched=True)
    recorded = store.chunk_count()
    orphan = parse_article("/news/orphan.txt", "Orphan story\n\nA write was killed after its chunks. Nothing else.")
    chunks = chunk_article(orphan, count_minilm_tokens, 16)
    steps = store.write_steps([(orphan, chunks, _vectors(len(chunks), 9))], slice_chunks=None)
    while store.chunk_count() == recorded:  # up to its chunks, not its text nor its record
        next(steps)
    known = store.get_chunks()[0]
    foreign = {"document_id": known.article_id, "source": known.source}  # another writer's ids: by metadata
    store.chunks.add(ids=["kept-by-metadata", "gone-by-metadata"], embeddings=_vectors(2, 3),
                     metadatas=[foreign, {"document_id": "never-recorded"}])
    reads: list[list[str]] = []
    get = store.chunks.get

    def spy(*args: Any, **kwargs: Any) -> Any:
        reads.append(list(kwargs.get("include", [])))
        return get(*args, **kwargs)

    store.chunks.get = spy  # type: ignore[method-assign]
    assert store.remove_orphan_chunks() == 1 + len(chunks)
    assert reads == [[], ["metadatas"]]  # ids of all, then metadata of the two unnamed ones
    del store.chunks.get
    assert store.chunk_count() == recorded + 1
    assert "kept-by-metadata" in store.chunks.get(include=[])["ids"]
    reads.clear()
    store.chunks.get = spy  # type: ignore[method-assign]
    store.chunks.delete(ids=["kept-by-metadata"])
    assert store.remove_orphan_chunks() == 0 and reads == [[]]  # our ids only: no metadata read


def test_an_unchanged_file_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged files are known by their text's SHA-256 before parsing (10,000 unchanged articles: 17 s -> 3.5 s
    for a no-op ingest); a changed one is parsed and replaced."""
    import shutil

    from assistant import ingest
    from assistant.engine import open_session
    from tests.conftest import SEEDS

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


def test_ask_tells_of_keyword_indexing_only_when_it_makes_the_answer_wait(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import INDEXING_NOTICE_ARTICLES, _indexing_notice

    _indexing_notice(0, INDEXING_NOTICE_ARTICLES - 1)  # a moved data folder's 5 seeds: a few milliseconds
    _indexing_notice(0, 12_000)
    _indexing_notice(200, 12_000)
    assert capsys.readouterr().err.splitlines() == ["Updating the keyword index: 12,000 articles to index first."]


def test_an_ingest_whose_keyword_index_is_locked_still_succeeds(isolated_home: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The articles are stored when another process keeps the keyword index locked past the wait: a warning, and
    the next question indexes them."""
    import sqlite3

    from assistant.engine import open_session
    from assistant.retrieval import KeywordIndex
    from tests.conftest import SEEDS

    monkeypatch.setattr(KeywordIndex, "LOCK_WAIT_SECONDS", 0.2)
    session = open_session(load_settings())
    other = sqlite3.connect(session.retriever.keyword_index.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's sync, writing
    warnings: list[str] = []
    report = session.ingest([SEEDS], warn=warnings.append, progress=lambda done, total, name: None)
    other.execute("ROLLBACK")
    assert len(report.ingested) == 5 and len(session.store.list_articles()) == 5
    assert len(warnings) == 1 and warnings[0].startswith("the keyword index was not brought up to date")
    assert session.retriever.retrieve_chunks("How many guards were injured?")  # the question indexed them
    assert session.index_keywords() == 0
