"""Gold sets: JSONL files of questions with their acceptable answers, supporting articles and kind (see
evals/README.md), validated line by line so that a mistake is one error naming the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from assistant.evals.answers import conflict_sides

KINDS = ("answerable", "unanswerable", "conflict")
GOLD_KEYS = ("id", "question", "answers", "sources", "kind")
OPTIONAL_KEYS = ("note",)


def default_gold_path() -> Path:
    """The project's gold set for the bundled seeds."""
    from assistant.resources import seed_gold

    return seed_gold()


@dataclass(frozen=True)
class GoldItem:
    """One gold question: acceptable answers, the articles that support them, and its kind."""

    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]
    kind: str


def _string_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_gold_line(line: str, where: str) -> GoldItem:
    """One JSONL line as a `GoldItem`; `where` ("file:line") starts every error message."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = [k for k in GOLD_KEYS if k not in data]
    if missing:
        raise UserError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    unknown = sorted(set(data) - set(GOLD_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise UserError(f"{where}: unknown key {', '.join(repr(k) for k in unknown)} "
                        f"(expected {', '.join(GOLD_KEYS)})")
    for key in ("id", "question"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise UserError(f"{where}: '{key}' must be a non-empty string")
    kind = data["kind"]
    if kind not in KINDS:
        raise UserError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    answers = _string_list(data["answers"], "answers", where)
    sources = _string_list(data["sources"], "sources", where)
    if kind != "unanswerable" and not answers:
        raise UserError(f"{where}: an {kind} question needs at least one answer")
    if kind == "conflict" and len(conflict_sides(answers)) < 2:
        raise UserError(f"{where}: a conflict question needs at least two different answers (its sides)")
    if kind == "unanswerable" and answers:
        raise UserError(f"{where}: an unanswerable question must have no answers")
    return GoldItem(data["id"].strip(), data["question"].strip(), answers, sources, kind)


def load_gold(path: Path) -> list[GoldItem]:
    """Read and validate a gold JSONL file; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"no such gold file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the gold file {path}: {exc}") from None
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        item = parse_gold_line(line, where)
        if item.id in seen:
            raise UserError(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise UserError(f"{path}: no questions in the gold file")
    return items


def select(items: Sequence[GoldItem], ids: Iterable[str] | None = None, limit: int | None = None) -> list[GoldItem]:
    """The questions named by `ids` (in file order) and at most `limit` of them."""
    chosen = list(items)
    if ids:
        wanted = [i.strip() for i in ids if i.strip()]
        known = {item.id for item in items}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise UserError(f"unknown question id {', '.join(unknown)} (not in the gold file)")
        chosen = [item for item in chosen if item.id in set(wanted)]
    if limit is not None:
        chosen = chosen[:limit]
    return chosen
