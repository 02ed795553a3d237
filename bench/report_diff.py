"""Two eval reports side by side at a confidence threshold: the totals of each, and the questions that moved.

    ASSISTANT_MIN_CONFIDENCE=0 assistant eval --dataset realtimeqa --source CLONE --weeks ... --report OLD
    (the same with the new code) --report NEW
    python bench/report_diff.py OLD/report.json NEW/report.json [--threshold 0.3] [--system ours]

How a change to the answer path is judged (issue 22): run the eval with nothing withheld (threshold 0) before and
after, then read both at the thresholds a user may choose. An answer counts as withheld when the engine abstained or
its confidence is below the threshold; an unanswerable question is right when withheld. Per kind: right / wrong /
withheld, precision (right / answered) and, for conflict questions, how many surfaced both sides. A question moved
when its outcome or its answer changed; each is printed with its gold answers and both answers. Prints only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("answerable", "unanswerable", "conflict")
SHOWN = 200  # characters of each answer printed


@dataclass(frozen=True)
class Outcome:
    """One question's result at a threshold: "right", "wrong" or "withheld", and whether a conflict surfaced."""

    result: str
    surfaced: bool
    answer: str
    confidence: float | None


def outcome(question: dict[str, Any], threshold: float, system: str = "ours") -> Outcome:
    ours = question["results"][system]
    confidence = ours.get("confidence")
    withheld = bool(ours["abstained"]) or (confidence is not None and confidence < threshold)
    if question["kind"] == "unanswerable":
        result = "right" if withheld else "wrong"
    else:
        result = "withheld" if withheld else ("right" if ours["correct"] else "wrong")
    surfaced = not withheld and bool(ours.get("conflict_surfaced"))
    return Outcome(result, surfaced, str(ours["answer"]), confidence)


def totals(questions: Iterable[dict[str, Any]], threshold: float, system: str = "ours") -> dict[str, dict[str, int]]:
    """Per kind: n, right, wrong, withheld and surfaced."""
    out: dict[str, dict[str, int]] = {}
    for question in questions:
        found = outcome(question, threshold, system)
        kind = out.setdefault(question["kind"], {"n": 0, "right": 0, "wrong": 0, "withheld": 0, "surfaced": 0})
        kind["n"] += 1
        kind[found.result] += 1
        kind["surfaced"] += found.surfaced
    return out


def summary(kinds: dict[str, dict[str, int]]) -> str:
    parts = []
    for name in KINDS:
        kind = kinds.get(name)
        if not kind:
            continue
        if name == "unanswerable":
            parts.append(f"unanswerable withheld {kind['right']} / {kind['n']}")
            continue
        answered = kind["right"] + kind["wrong"]
        precision = f"{kind['right'] / answered:.2f}" if answered else "-"
        part = f"{name} {kind['right']} / {kind['wrong']} / {kind['withheld']} (precision {precision})"
        parts.append(part + (f", {kind['surfaced']} surfaced" if name == "conflict" else ""))
    return " | ".join(parts)


def moved(old: list[dict[str, Any]], new: list[dict[str, Any]], threshold: float,
          system: str = "ours") -> list[tuple[dict[str, Any], Outcome, Outcome]]:
    """The questions of both reports whose outcome, surfacing or answer differs, in the new report's order."""
    before = {q["id"]: q for q in old}
    out = []
    for question in new:
        if question["id"] not in before:
            continue
        a, b = outcome(before[question["id"]], threshold, system), outcome(question, threshold, system)
        if (a.result, a.surfaced, a.answer) != (b.result, b.surfaced, b.answer):
            out.append((question, a, b))
    return out


def _load(path: Path) -> list[dict[str, Any]]:
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["questions"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"error: {path} is no eval report ({error})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--threshold", type=float, default=0.3)
    parser.add_argument("--system", default="ours")
    args = parser.parse_args(argv)
    old, new = _load(args.old), _load(args.new)
    print(f"old: {summary(totals(old, args.threshold, args.system))}")
    print(f"new: {summary(totals(new, args.threshold, args.system))}")
    for question, a, b in moved(old, new, args.threshold, args.system):
        flags = (" surfaced" if a.surfaced else "", " surfaced" if b.surfaced else "")
        print(f"\n{question['id']} [{question['kind']}] {a.result}{flags[0]} -> {b.result}{flags[1]}  "
              f"gold {question.get('answers')}\n  Q: {question['question']}")
        print(f"  old ({a.confidence}): {a.answer[:SHOWN]}\n  new ({b.confidence}): {b.answer[:SHOWN]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
