"""Chroma server mode against a real `chroma run` on 127.0.0.1: ingest, sources, ask, re-ingest, and a dead server.

The server runs for this module only with its data in a temporary folder; the CLI runs as a subprocess.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import (
    QUESTION,
    assert_verified_guards_answer,
    one_json_object,
    run_cli,
    warm_home,
)
from tests.conftest import SEEDS, free_port
from tests.integration.servers import CHROMA_READY, chroma_command, loopback_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEED_FILES = sorted(str(p.resolve()) for p in SEEDS.iterdir() if p.suffix == ".txt")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:PORT of a `chroma run` with its data in a temporary folder, stopped at the end."""
    data = tmp_path_factory.mktemp("chroma-server")
    with loopback_server(lambda port: chroma_command(data / "db", port), CHROMA_READY, data) as (port, _):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with no local store, only the embedding model's cached export (when there is one)."""
    target = tmp_path_factory.mktemp("chroma-client") / "home"
    target.mkdir()
    onnx = warm_home(tmp_path_factory) / "onnx"
    if onnx.is_dir():
        shutil.copytree(onnx, target / "onnx")
    return target


@pytest.fixture(scope="module")
def first_ingest(chroma_url: str, home: Path) -> dict[str, Any]:
    """The seeds ingested into the server once for the module: the `ingest --json` report."""
    result = run_cli("ingest", str(SEEDS), "--json", "--chroma-url", chroma_url, home=home)
    assert result.returncode == 0, result.stderr
    return one_json_object(result.stdout)


# Tests --------------------------------------------------------------------------------------------

def test_ingest_into_the_server_stores_the_five_seeds(first_ingest: dict[str, Any]) -> None:
    assert sorted(first_ingest["ingested"]) == SEED_FILES
    assert first_ingest["unchanged"] == []
    assert first_ingest["skipped"] == []
    assert first_ingest["chunks"] > 0


def test_sources_lists_the_five_articles(first_ingest: dict[str, Any], chroma_url: str, home: Path) -> None:
    result = run_cli("sources", "--json", "--chroma-url", chroma_url, home=home)
    assert result.returncode == 0, result.stderr
    articles = json.loads(result.stdout)
    assert sorted(a["source"] for a in articles) == SEED_FILES
    assert all(a["title"] and a["chunks"] > 0 for a in articles)


def test_the_local_store_is_not_used(first_ingest: dict[str, Any], home: Path) -> None:
    result = run_cli("sources", "--json", home=home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_reingest_through_chroma_url_variable_adds_nothing(first_ingest: dict[str, Any], chroma_url: str,
                                                            home: Path) -> None:
    env = {"CHROMA_URL": chroma_url}
    result = run_cli("ingest", str(SEEDS), "--json", home=home, env=env)
    assert result.returncode == 0, result.stderr
    report = one_json_object(result.stdout)
    assert sorted(report["unchanged"]) == SEED_FILES
    assert report["ingested"] == []
    assert report["removed"] == []
    assert report["chunks"] == 0
    listed = run_cli("sources", "--json", home=home, env=env)
    assert listed.returncode == 0, listed.stderr
    assert sorted(a["source"] for a in json.loads(listed.stdout)) == SEED_FILES


def test_ask_answers_from_the_server_with_verified_citations(first_ingest: dict[str, Any], chroma_url: str,
                                                            home: Path) -> None:
    result = run_cli("ask", "--json", QUESTION, "--chroma-url", chroma_url, home=home)
    assert result.returncode == 0, result.stderr
    answer = one_json_object(result.stdout)
    assert answer["model"] == "smollm2"
    assert_verified_guards_answer(answer)
    assert {c["source"] for c in answer["citations"]} <= set(SEED_FILES)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    ("ask", "--json", QUESTION),
    ("sources", "--json"),
    ("ingest", str(SEEDS)),
], ids=["ask", "sources", "ingest"])
def test_a_chroma_server_that_is_not_running_is_one_error_line(args: tuple[str, ...], tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli(*args, "--chroma-url", url, home=tmp_path / "home")
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "chroma" in lines[0].lower()
    assert "Traceback" not in result.stderr
