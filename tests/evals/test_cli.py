"""`assistant eval` through the real command line: errors, and a short CI eval with the embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT = ROOT / ".venv" / "bin" / "assistant"
SEEDS = ROOT / "seeds"
# A handful of the project's gold questions: a single-article fact, a quote, a conflict, an off-topic one.
CI_IDS = "a01,m03,t01,c01,u06"


def run(*args: str, home: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["ASSISTANT_HOME"] = str(home)
    command = [str(ASSISTANT)] if ASSISTANT.exists() else [sys.executable, "-m", "assistant.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def eval_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for this module's real runs, so the seeds are ingested once."""
    return tmp_path_factory.mktemp("eval-home")


def test_eval_is_listed_and_its_module_stays_light() -> None:
    assert "eval" in run("--help").stdout
    help_text = run("eval", "--help").stdout
    for option in ("--gold", "--corpus", "--report", "--compare", "--min-accuracy", "--min-verbatim", "--json",
                   "--limit", "--ids", "--judge", "--top-k", "--model", "--dataset", "--source", "--week", "--weeks"):
        assert option in help_text
    probe = ("import sys, assistant.evals.cli; "
             "print(sorted(m for m in ('llama_index', 'chromadb', 'torch', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_malformed_gold_line_is_one_clear_error(tmp_path: Path) -> None:
    gold = tmp_path / "my_gold.jsonl"
    good = {"id": "q1", "question": "How many?", "answers": ["seven"], "sources": [], "kind": "answerable"}
    gold.write_text(json.dumps(good) + '\n{"id": "q2", "question": \n', encoding="utf-8")
    result = run("eval", "--gold", str(gold), "--corpus", str(SEEDS))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {gold}:2: not valid JSON")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--ids", "nope"), "error: unknown question id nope"),
    (("--compare", "gpt"), "error: unknown --compare 'gpt'"),
    (("--gold", "missing.jsonl"), "error: no such gold file: missing.jsonl"),
    (("--corpus", "no-such-folder"), "error: no such corpus folder: no-such-folder"),
])
def test_bad_arguments_are_one_line_errors(args: tuple[str, ...], message: str) -> None:
    result = run("eval", *args)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [message] or result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_ci_eval_on_a_handful_of_gold_questions(eval_home: Path, tmp_path: Path) -> None:
    """The short CI eval: real CLI, embedded model, floors that our engine must clear."""
    out = tmp_path / "report"
    result = run("eval", "--ids", CI_IDS, "--min-accuracy", "0.6", "--min-verbatim", "0.95",
                 "--min-citation-precision", "0.5", "--json", "--report", str(out), home=eval_home)
    assert result.returncode == 0, result.stderr[-2000:]
    totals = json.loads(result.stdout)  # nothing but the JSON on stdout
    ours = totals["ours"]
    assert ours["questions"] == 5 and ours["errors"] == 0
    assert ours["answer_accuracy"] >= 0.6 and ours["verbatim_rate"] >= 0.95
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [q["id"] for q in report["questions"]] == CI_IDS.split(",")
    assert report["meta"]["floors"] == {"answer_accuracy": 0.6, "verbatim_rate": 0.95, "citation_precision": 0.5}
    assert report["meta"]["collection"].startswith("eval_")
    assert (out / "report.md").is_file() and "<svg" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_missed_floor_fails_the_run(eval_home: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    item = {"id": "x1", "question": "When did Al-Kadhimi become prime minister?", "answers": ["May last year"],
            "sources": ["not_in_the_corpus.txt"], "kind": "answerable"}
    gold.write_text(json.dumps(item) + "\n", encoding="utf-8")
    result = run("eval", "--gold", str(gold), "--corpus", str(SEEDS), "--min-retrieval-recall", "0.5",
                 "--min-conflict", "0.5", "--json", "--report", str(tmp_path / "r"), home=eval_home)
    assert result.returncode == 3, result.stderr[-2000:]
    assert json.loads(result.stdout)["ours"]["retrieval_recall"] == 0.0
    assert "warning: gold sources not in the store: not_in_the_corpus.txt" in result.stderr
    assert "below floor: retrieval recall@k 0.000 < 0.5" in result.stderr
    assert "conflict surfacing: not measured" in result.stderr
