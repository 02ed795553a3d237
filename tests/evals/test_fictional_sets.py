"""The three fictional news worlds of `evals/sets/` through the real `assistant eval`, with the embedded model: a
floor under today's figures, so that a change to the answer path cannot make them worse unnoticed.

The engine does not pass the sets (evals/sets/README.md): these are not targets. The floors are this commit's
pooled figures less one answer of slack each way (38 right and 9 wrong of the 55 answerable and conflict questions,
10 of the 15 on-topic unanswerable ones withheld, 3 conflicts surfaced); raise them when the engine improves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_cli

SETS = Path(__file__).resolve().parents[2] / "evals" / "sets"
WORLDS = ("sports_final", "quarterly_results", "city_election")
MIN_RIGHT, MAX_WRONG, MIN_WITHHELD, MIN_SURFACED = 37, 10, 9, 2


def _outcomes(report: dict[str, Any]) -> dict[str, int]:
    """Right / wrong answers to answerable and conflict questions, unanswerable ones withheld, conflicts surfaced."""
    out = {"right": 0, "wrong": 0, "withheld": 0, "surfaced": 0}
    for question in report["questions"]:
        ours = question["results"]["ours"]
        if question["kind"] == "unanswerable":
            out["withheld"] += bool(ours["abstained"])
        elif not ours["abstained"]:
            out["right" if ours["correct"] else "wrong"] += 1
        if question["kind"] == "conflict":
            out["surfaced"] += bool(ours.get("conflict_surfaced"))
    return out


@pytest.mark.slow
def test_the_fictional_sets_stay_above_their_floor(tmp_path: Path) -> None:
    pooled = {"right": 0, "wrong": 0, "withheld": 0, "surfaced": 0}
    for world in WORLDS:
        report = tmp_path / world
        result = run_cli("eval", "--gold", str(SETS / world / "gold.jsonl"), "--corpus", str(SETS / world / "articles"),
                         "--report", str(report), "--json", home=tmp_path / f"home-{world}", timeout=1800)
        assert result.returncode == 0, result.stderr[-2000:]
        totals = json.loads(result.stdout)["ours"]
        assert totals["errors"] == 0 and totals["verbatim_rate"] == 1.0, (world, totals)
        for key, value in _outcomes(json.loads((report / "report.json").read_text(encoding="utf-8"))).items():
            pooled[key] += value
    assert pooled["right"] >= MIN_RIGHT and pooled["wrong"] <= MAX_WRONG, pooled
    assert pooled["withheld"] >= MIN_WITHHELD and pooled["surfaced"] >= MIN_SURFACED, pooled
