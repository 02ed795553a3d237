"""The RealTime QA figures on the terminal: per system, a row per week and kind (and pooled when several weeks ran)."""

from __future__ import annotations

import sys
from typing import Any

from assistant.evals.reports import fmt

KINDS = ("answerable", "unanswerable", "conflict")
COLUMNS = ("n", "right", "wrong", "abstained", "precision", "accuracy", "abstention", "surfaced", "week_copies",
           "verbatim_rate")


def rows(figures: dict[str, Any]) -> list[list[str]]:
    """Table rows (week, kind, the COLUMNS, seconds) for one system's figures."""
    out = []
    weeks = figures["by_week"]
    blocks = [(week, data, fmt(data.get("seconds"))) for week, data in weeks.items()]
    if len(weeks) > 1:
        blocks.append(("pooled", figures, fmt(round(sum(d.get("seconds", 0) for d in weeks.values()), 1))))
    for label, data, seconds in blocks:
        for kind in KINDS:
            f = data[kind]
            if f["n"]:
                out.append([label, kind, *(_cell(f, c) for c in COLUMNS), seconds if kind == KINDS[0] else ""])
    return out


def _cell(figures: dict[str, Any], column: str) -> str:
    """A column's value; "week_copies" as surfaced / conflicts copying a report of the week ("11/19")."""
    if column == "week_copies":
        n = figures.get("week_copies")
        return f"{figures.get('surfaced_week_copies')}/{n}" if n is not None else ""
    return fmt(figures.get(column))


def print_figures(document: dict[str, Any], to_stderr: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=to_stderr, width=None if sys.stdout.isatty() else 160)
    for system, figures in document["realtimeqa"].items():
        table = Table(title=f"RealTime QA: {system}")
        for name in ("week", "kind", *COLUMNS, "seconds"):
            table.add_column(name.replace("_rate", ""), justify="left" if name in ("week", "kind") else "right")
        for row in rows(figures):
            table.add_row(*row)
        console.print(table)
