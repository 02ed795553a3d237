"""`assistant eval --dataset realtimeqa`: figures per kind, weeks skipped, one-line errors that store nothing, and
(slow) the real command on the fictional fixture week with the embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import UserError
from assistant.evals.realtimeqa import article_name
from assistant.evals.realtimeqa_data import MissingArticles
from assistant.evals.realtimeqa_run import WeekTiming, convert_all, figures
from assistant.evals.scoring import QuestionScore

ROOT = Path(__file__).resolve().parents[2]
ASSISTANT = ROOT / ".venv" / "bin" / "assistant"
FIXTURE = Path(__file__).parent / "fixtures" / "realtimeqa"
WEEK = "20220701"


def run(*args: str, home: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_HOME": str(home)}
    command = [str(ASSISTANT)] if ASSISTANT.exists() else [sys.executable, "-m", "assistant.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


def scored(kind: str, *, abstained: bool = False, correct: bool | None = None, citations: int = 0,
           verbatim: int = 0, surfaced: bool | None = None, confidence: float | None = None, id: str = "q"
           ) -> QuestionScore:
    right = abstained if kind == "unanswerable" else bool(correct)
    return QuestionScore(id=id, kind=kind, system="ours", answer="", abstained=abstained, attempted=not abstained,
                         correct=None if kind == "unanswerable" else correct, right=right, citation_recall=None,
                         citation_precision=None, judge_recall=None, judge_precision=None, citations=citations,
                         verbatim=verbatim, verbatim_rate=None, cited_source_recall=None, retrieval_recall=None,
                         conflict_surfaced=surfaced, latency_ms=1.0, tokens=None, confidence=confidence)


def test_calibration_error_compares_confidence_with_the_share_right() -> None:
    # Bin 0.9: 0.9 claimed, 1 of 2 right (gap 0.4); bin 0.2: 0.2 claimed, 0 of 1 right (gap 0.2): (2*0.4 + 0.2) / 3.
    answers = [scored("answerable", correct=True, confidence=0.9), scored("answerable", correct=False, confidence=0.9),
               scored("answerable", correct=False, confidence=0.2)]
    assert figures(answers)["calibration_error"] == round((2 * 0.4 + 0.2) / 3, 4)
    assert figures([scored("answerable", correct=True, confidence=1.0)])["calibration_error"] == 0.0


def test_figures_per_kind_add_up() -> None:
    answerable = [scored("answerable", correct=True, citations=2, verbatim=2),
                  scored("answerable", correct=False, citations=1, verbatim=0),
                  scored("answerable", abstained=True)]
    assert figures(answerable) == {"n": 3, "right": 1, "wrong": 1, "abstained": 1, "answered": 2, "precision": 0.5,
                                   "accuracy": 0.3333, "abstention": None, "verbatim_rate": 0.6667, "citations": 3,
                                   "errors": 0, "calibration_error": None}
    unanswerable = figures([scored("unanswerable", abstained=True), scored("unanswerable", citations=1, verbatim=1)])
    assert (unanswerable["right"], unanswerable["wrong"], unanswerable["abstained"]) == (1, 1, 1)
    assert unanswerable["precision"] == 0.0 and unanswerable["abstention"] == 0.5 and unanswerable["accuracy"] is None
    conflict = figures([scored("conflict", correct=True, surfaced=True), scored("conflict", correct=True)])
    assert conflict["surfaced"] == 1 and conflict["right"] == 2
    assert (conflict["week_copies"], conflict["surfaced_week_copies"]) == (2, 1)  # not shown to be old: counted
    copies = [scored("conflict", correct=True, surfaced=True, id="new"), scored("conflict", correct=True, id="old"),
              scored("conflict", correct=True, surfaced=True, id="old2")]
    split = figures(copies, {"new": True, "old": False, "old2": False})
    assert (split["surfaced"], split["week_copies"], split["surfaced_week_copies"]) == (2, 1, 1)
    assert figures([])["n"] == 0 and figures([])["precision"] is None


def test_a_week_without_articles_is_skipped_among_several(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    timing: dict[str, WeekTiming] = {}
    converted = convert_all(FIXTURE, [WEEK, "20220708"], tmp_path, timing)
    assert [c.week for c in converted] == [WEEK] and list(timing) == [WEEK]
    assert "skipping week 20220708: week 20220708 has no articles" in capsys.readouterr().err
    with pytest.raises(MissingArticles):
        convert_all(FIXTURE, ["20220708"], tmp_path, {})
    with pytest.raises(UserError, match="no week 20220715"):  # a missing week stops the run before anything runs
        convert_all(FIXTURE, [WEEK, "20220715"], tmp_path / "other", {})


@pytest.mark.parametrize(("args", "message"), [
    (("--source", "{tmp}", "--week", WEEK), "error: {tmp} is not a RealTime QA clone (no past/ folder; "),
    (("--source", "{fixture}", "--week", "20220715"),
     "error: no week 20220715 in {fixture} (no past/2022/20220715_qa.jsonl)"),
    (("--source", "{fixture}", "--week", "20220708"), "error: week 20220708 has no articles in {fixture} "),
    (("--source", "{fixture}", "--week", "July"), "error: a week is written YYYYMMDD"),
    (("--week", WEEK), "error: --dataset realtimeqa needs --source DIR"),
    (("--source", "{fixture}",), "error: --dataset realtimeqa needs --week YYYYMMDD"),
    (("--source", "{fixture}", "--week", WEEK, "--corpus", "{tmp}"), "error: --gold and --corpus are not used"),
])
def test_bad_input_is_one_line_and_stores_nothing(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    home = tmp_path / "home"
    filled = [a.format(tmp=tmp_path, fixture=FIXTURE) for a in args]
    result = run("eval", "--dataset", "realtimeqa", *filled, home=home, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(tmp=tmp_path, fixture=FIXTURE)), result.stderr
    assert not home.exists() or not any(home.iterdir())  # no store, no converted week


def test_options_of_the_other_dataset_are_refused(tmp_path: Path) -> None:
    result = run("eval", "--week", WEEK, home=tmp_path, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: --source, --week and --weeks are for --dataset realtimeqa"
    result = run("eval", "--dataset", "squad", home=tmp_path, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: unknown --dataset 'squad': 'gold' or 'realtimeqa'"


def stored_sources(collection: str) -> set[str]:
    """The article file names in one store of the data folder `ASSISTANT_HOME` names."""
    from assistant.config import load_settings
    from assistant.corpus import open_store
    from assistant.runtime import embedding_name

    settings = load_settings(collection=collection)
    return {Path(a.source).name for a in open_store(settings, embedding_name(settings)).list_articles()}


@pytest.mark.slow
def test_the_fixture_week_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, report = tmp_path / "home", tmp_path / "report"
    result = run("eval", "--dataset", "realtimeqa", "--source", str(FIXTURE), "--weeks", f"{WEEK},20220708",
                 "--json", "--report", str(report), home=home)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)  # one object, nothing else on stdout
    assert out["weeks"] == [WEEK] and out["seeds"] == {"unanswerable": 2101, "conflict": 2102}
    assert "skipping week 20220708" in result.stderr and "seeds: unanswerable 2101, conflict 2102" in result.stderr
    for kind, n in (("answerable", 2), ("unanswerable", 1), ("conflict", 1)):
        for figures_ in (out[kind], out["by_week"][WEEK][kind]):
            assert figures_["n"] == n and {"right", "wrong", "abstained", "precision", "verbatim_rate"} <= set(figures_)
            assert figures_["right"] + figures_["wrong"] + (figures_["abstained"] if kind != "unanswerable" else 0) == n
    week = out["by_week"][WEEK]
    parts = week["ingest_seconds"] + week["question_seconds"]  # each rounded to 0.1 s, as the total is
    assert week["seconds"] >= parts - 0.15 and parts > 0 and not week["cached"]
    assert "surfaced" in out["conflict"]
    assert out["conflict"]["week_copies"] == 1  # the fixture's copy is of an article from the week
    assert "week_copies" in result.stderr  # the table's column
    document = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert {q["week"] for q in document["questions"]} == {WEEK} and len(document["questions"]) == 4
    collections = document["meta"]["collections"]
    assert set(collections) == {f"{WEEK}/articles", f"{WEEK}/heldout"}
    assert all(name.startswith("eval_") for name in collections.values())
    # The unanswerable question's store lacks what was returned for it; the other store has every article.
    manifest = json.loads((home / "realtimeqa" / WEEK / "manifest.json").read_text(encoding="utf-8"))
    [qid] = manifest["kinds"]["unanswerable"]
    gcs = (FIXTURE / "past" / "2022" / f"{WEEK}_gcs.jsonl").read_text(encoding="utf-8").splitlines()
    returned = {article_name(r["url"]) for line in gcs if json.loads(line)["question_id"] == qid
                for r in json.loads(line)["search_result"]}
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    heldout = stored_sources(collections[f"{WEEK}/heldout"])
    assert heldout and not heldout & returned
    assert stored_sources(collections[f"{WEEK}/articles"]) >= returned | heldout
    assert stored_sources("articles") == set()  # nothing in the user's own store
