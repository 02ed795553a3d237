"""`bench/report_diff.py`: two eval reports read at a threshold (invented reports; only the reading is tested)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.report_diff import main, moved, totals


def _question(qid: str, kind: str, answer: str, correct: bool | None, confidence: float | None,
              abstained: bool = False, surfaced: bool | None = None) -> dict[str, Any]:
    return {"id": qid, "kind": kind, "question": f"Question {qid}?", "answers": ["Velto"] if kind != "unanswerable"
            else [], "results": {"ours": {"answer": answer, "abstained": abstained, "correct": correct,
                                          "confidence": confidence, "conflict_surfaced": surfaced}}}


OLD = [_question("a1", "answerable", "Velto did it [1].", True, 0.6),
       _question("a2", "answerable", "Norra did it [1].", False, 0.35),
       _question("u1", "unanswerable", "The articles do not say.", None, 1.0, abstained=True),
       _question("c1", "conflict", "Velto [1]. The articles differ: ...", True, 0.5, surfaced=True)]
NEW = [_question("a1", "answerable", "Velto did it [1].", True, 0.6),
       _question("a2", "answerable", "Norra did it [1].", False, 0.25),  # withheld at 0.3 now
       _question("u1", "unanswerable", "Velto did it [1].", None, 0.45),  # answered though nothing says so
       _question("c1", "conflict", "Velto [1]. The articles differ: ...", True, 0.5, surfaced=True)]


def test_outcomes_at_a_threshold() -> None:
    old, new = totals(OLD, 0.3), totals(NEW, 0.3)
    assert old["answerable"] == {"n": 2, "right": 1, "wrong": 1, "withheld": 0, "surfaced": 0}
    assert new["answerable"] == {"n": 2, "right": 1, "wrong": 0, "withheld": 1, "surfaced": 0}
    assert (old["unanswerable"]["right"], new["unanswerable"]["wrong"]) == (1, 1)
    assert new["conflict"]["surfaced"] == 1
    assert totals(NEW, 0.5)["unanswerable"]["right"] == 1  # below the threshold is withheld
    assert [q["id"] for q, _, _ in moved(OLD, NEW, 0.3)] == ["a2", "u1"]
    assert moved(OLD, OLD, 0.3) == []


def test_the_command_prints_totals_and_moves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.json").write_text(json.dumps({"questions": OLD}))
    (tmp_path / "new.json").write_text(json.dumps({"questions": NEW}))
    assert main([str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 0
    out = capsys.readouterr().out
    assert "old: answerable 1 / 1 / 0 (precision 0.50)" in out
    assert "new: answerable 1 / 0 / 1 (precision 1.00)" in out and "unanswerable withheld 0 / 1" in out
    assert "a2 [answerable] wrong -> withheld" in out and "u1 [unanswerable] right -> wrong" in out
    with pytest.raises(SystemExit, match="no eval report"):
        main([str(tmp_path / "old.json"), str(tmp_path / "missing.json")])
