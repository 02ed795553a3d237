"""The package as a user installs it: a built wheel (not the editable checkout) carries its prompts, demo articles,
gold set and the chat's stylesheet, and a fresh environment with it installed answers the demo question."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "How many of the prime minister's guards were injured?"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel, offline (the venv's setuptools, no build isolation)."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("assistant-*.whl")
    return built


def test_the_wheel_carries_the_package_data_and_every_subpackage(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {str(p.relative_to(ROOT)) for p in (ROOT / "assistant").rglob("*")
               if p.is_file() and p.suffix in {".py", ".txt", ".jsonl", ".tcss"} and "__pycache__" not in p.parts}
    assert shipped <= names, sorted(shipped - names)
    for needed in ("assistant/data/prompts/system.txt", "assistant/data/prompts/answer.txt",
                   "assistant/data/gold.jsonl", "assistant/chat/app.tcss", "assistant/corpus/__init__.py"):
        assert needed in names
    assert sum(n.startswith("assistant/data/seeds/") and n.endswith(".txt") for n in names) == 5
    assert not any(n.startswith(("tests/", "bench/", "evals/")) for n in names)


@pytest.mark.slow
def test_a_fresh_environment_with_the_wheel_answers_the_demo_question(wheel: Path, tmp_path: Path) -> None:
    """A new virtual environment gets the wheel; the dependencies come from this venv through a path file (they
    are 2 GB and the registry is not reached in tests), never the checkout: the command runs from elsewhere."""
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True, timeout=120)
    probe = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(subprocess.run([str(fresh / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                               check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(fresh / "bin" / "python"), "install",
                           "--quiet", "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": ""}
    where = subprocess.run([str(fresh / "bin" / "python"), "-c", "import assistant; print(assistant.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path, env=env).stdout.strip()
    assert where.startswith(str(site)), where  # the installed copy, not the checkout
    result = subprocess.run([str(fresh / "bin" / "assistant"), "ask", "--json", QUESTION], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert not answer["abstained"] and answer["citations"]
    seeds = site / "assistant" / "data" / "seeds"
    for citation in answer["citations"]:  # quotes point into the installed articles, verbatim
        text = (seeds / Path(citation["source"]).name).read_text(encoding="utf-8")
        assert text[citation["start"]:citation["end"]] == citation["quote"]
