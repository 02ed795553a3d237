"""A question about "this week" is answered from the newest news: an article published years before the store's
newest one does not answer it, even when it is the only one that tells of such an event (`ask --json`, the
embedded model, a real store)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_helpers import run_cli

OLD = ("Harbour ferry strike ends\n2019-03-04\n\nThe harbour ferry strike ended on Tuesday after the operator "
       "Norcliff Lines agreed to a pay rise for its crews. Services resumed on Wednesday morning.\n")
NEW = ("Ferry crews return to work\n2022-07-05\n\nThe harbour ferry strike ended this week after the operator "
       "Velmar Ferries agreed to a pay rise for its crews. Commuters crowded the piers on Monday.\n")
WEATHER = ("Heat wave grips the coast\nJuly 6, 2022\n\nTemperatures reached 38 degrees on Tuesday, the highest "
           "reading since records began. The city opened cooling centres for older residents.\n")
THIS_WEEK = "Which operator agreed to a pay rise this week, ending the harbour ferry strike?"
ANY_TIME = "Which operator agreed to a pay rise, ending the harbour ferry strike?"


def _ask(folder: Path, home: Path, *questions: str) -> list[dict[str, Any]]:
    ingested = run_cli("ingest", str(folder), "--json", home=home)
    assert ingested.returncode == 0, ingested.stderr
    answers = []
    for question in questions:
        result = run_cli("ask", question, "--json", home=home)
        assert result.returncode == 0, result.stderr
        answers.append(json.loads(result.stdout))
    return answers


def test_this_weeks_question_is_answered_from_this_weeks_article(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in (("old.txt", OLD), ("new.txt", NEW), ("weather.txt", WEATHER)):
        (folder / name).write_text(text, encoding="utf-8")
    (answer,) = _ask(folder, tmp_path / "home", THIS_WEEK)
    assert not answer["abstained"] and "Velmar Ferries" in answer["answer"]
    assert {Path(c["source"]).name for c in answer["citations"]} == {"new.txt"}
    assert "Norcliff" not in answer["answer"]


def test_an_old_report_does_not_answer_what_happened_this_week(tmp_path: Path) -> None:
    """Only the 2019 report tells of a ferry strike: it answers the question without a time, not "this week"'s."""
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in (("old.txt", OLD), ("weather.txt", WEATHER)):
        (folder / name).write_text(text, encoding="utf-8")
    this_week, any_time = _ask(folder, tmp_path / "home", THIS_WEEK, ANY_TIME)
    assert this_week["abstained"] and this_week["answer"] == "The articles do not say."
    assert not any_time["abstained"] and "Norcliff Lines" in any_time["answer"]
