"""`import chromadb` without the parts never run, and its settings read once (`runtime.compat.chroma_import`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import last_json_line

ROOT = Path(__file__).resolve().parents[2]


def test_chromadb_imported_without_signature_checks_works_and_restores_them(tmp_path: Path) -> None:
    """`import_chromadb` skips `@override`'s signature checks during the import only: Chroma's classes still
    carry the marks its `EnforceOverrides` metaclass wants, a store works, and the real decorator is back after."""
    code = (
        "import json, sys, overrides\n"
        "real = overrides.override, overrides.overrides\n"
        "from assistant.runtime.compat.chroma_import import import_chromadb\n"
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
    assert last_json_line(code, tmp_path) == {"restored": True, "marked": True, "hit": ["a"], "again": True}


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
        "from assistant.runtime.compat.chroma_import import LOCAL_CLIENT, import_chromadb\n"
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
    assert last_json_line(code, tmp_path) == {"reads": 1, "after": 1, "ports": [1234] * 5, "distinct": 5,
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
        "from assistant.runtime.compat.chroma_import import SERVER_CLIENT, import_chromadb\n"
        "from assistant.config import load_settings\n"
        "from assistant.corpus import open_store\n"
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
    assert last_json_line(code, tmp_path) == {"calls": ["Checked.heartbeat"], "empty": True, "marked": [True, True]}


def test_modules_chromadb_imports_for_unused_paths_load_at_their_first_use(tmp_path: Path) -> None:
    """Chroma's embedding-function registry, the OpenTelemetry gRPC exporter and httpx's CLI are not imported
    with chromadb (nor by a store's work), and each is the real thing as soon as something uses it: a collection
    configuration naming Chroma's default embedding function, a tracing exporter, an `import` of the module."""
    code = (
        "import json, sys\n"
        "from assistant.runtime.compat.chroma_import import DEFERRED, import_chromadb\n"
        "from assistant.config import load_settings\n"
        "from assistant.corpus import open_store\n"
        "import_chromadb()\n"
        "def loaded():\n"
        "    return sorted(n for n in DEFERRED if n in sys.modules)\n"
        "stand_ins = [n for n, m in sys.modules.items() if getattr(m, '_assistant_stand_in', False)]\n"
        "after_import = loaded()\n"
        "from assistant.corpus import chunk_article, parse_article\n"
        "from assistant.runtime.embedding import count_minilm_tokens\n"
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
    assert last_json_line(code, tmp_path) == {
        "stand_ins": [], "after_import": [],
        "after_store": [[], ["Fire in Oslo A warehouse burned on Friday. Nobody was hurt."], 1, []],
        "ef": True, "registry": True, "exporter": True, "httpx_cli": True,
        "loaded": ["chromadb.utils.embedding_functions", "httpx._main",
                   "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"]}
