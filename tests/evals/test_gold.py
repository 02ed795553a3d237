"""Gold files: validation line by line, selection, and the project's own set on the seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import UserError
from assistant.evals.answers import mentions
from assistant.evals.gold import default_gold_path, load_gold, select
from tests.evals.samples import CONFLICT, GUARDS, OFF_TOPIC

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


GOOD = {"id": "q1", "question": "How many?", "answers": ["seven"], "sources": ["a.txt"], "kind": "answerable"}


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "q2", "question": "x"', "not valid JSON"),
    ('["q2"]', "expected a JSON object"),
    (json.dumps({**GOOD, "id": "q2", "kind": "maybe"}), "'kind' must be one of"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "answers"} | {"id": "q2"}), "missing 'answers'"),
    (json.dumps({**GOOD, "id": "q2", "answers": "seven"}), "'answers' must be a list"),
    (json.dumps({**GOOD, "id": "q2", "anwsers": []}), "unknown key 'anwsers'"),
    (json.dumps({**GOOD, "id": "q2", "answers": []}), "needs at least one answer"),
    (json.dumps({**GOOD, "id": "q2", "kind": "unanswerable"}), "must have no answers"),
    (json.dumps({**GOOD, "id": "q2", "kind": "conflict", "answers": ["seven", "7"]}), "at least two different"),
    (json.dumps({**GOOD, "question": " "}), "'question' must be a non-empty string"),
    (json.dumps(GOOD), "duplicate id 'q1' (first on line 1)"),
])
def test_malformed_gold_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        load_gold(path)
    text = str(error.value)
    assert text.startswith(f"{path}:3: ") and message in text and "\n" not in text


def test_gold_file_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such gold file"):
        load_gold(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(UserError, match="no questions"):
        load_gold(tmp_path / "empty.jsonl")


def test_select_by_ids_and_limit() -> None:
    items = [GUARDS, OFF_TOPIC, CONFLICT]
    assert [i.id for i in select(items, ["c1", "g1"])] == ["g1", "c1"]
    assert [i.id for i in select(items, None, 2)] == ["g1", "u1"]
    with pytest.raises(UserError, match="unknown question id nope"):
        select(items, ["nope"])


def test_project_gold_set_covers_the_seeds() -> None:
    items = load_gold(default_gold_path())
    kinds = [i.kind for i in items]
    assert len(items) >= 25 and kinds.count("unanswerable") >= 6 and kinds.count("conflict") >= 2
    guards = next(i for i in items if i.question == "How many guards were injured?")
    assert "seven" in guards.answers
    names = {p.name for p in SEEDS.iterdir()}
    for item in items:
        assert set(item.sources) <= names, item.id
        for answer_text in item.answers:  # every gold answer is said by one of its sources
            assert any(mentions((SEEDS / s).read_text(encoding="utf-8"), answer_text) for s in item.sources) \
                or answer_text in {"not injured", "not hurt", "not claimed", "nobody", "safe"}, (item.id, answer_text)
