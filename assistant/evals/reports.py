"""Eval reports from the report.json document: JSON, Markdown, a self-contained HTML page, terminal tables."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.evals.gold import KINDS
from assistant.evals.scoring import HEADLINE

COLORS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#c53030")
EXTRA = {
    "right_rate": "right (answered correctly or abstained rightly)",
    "judge_citation_recall": "citation recall (LLM judge)",
    "judge_citation_precision": "citation precision (LLM judge)",
    "latency_median_ms": "latency median (ms)",
    "latency_p95_ms": "latency p95 (ms)",
    "tokens_total": "tokens (total)",
    "attempted": "attempted",
    "abstained_answerable": "abstained on answerable",
    "citations": "citations",
    "errors": "errors",
    "questions": "questions",
}
TOTAL_ROWS = ("questions", "right_rate", *HEADLINE, "judge_citation_recall", "judge_citation_precision",
              "attempted", "abstained_answerable", "citations", "errors", "latency_median_ms", "latency_p95_ms",
              "tokens_total")


def label(metric: str) -> str:
    return HEADLINE.get(metric) or EXTRA.get(metric) or metric.replace("_", " ")


def fmt(value: Any) -> str:
    """A metric for display: rates as 0.83, counts and milliseconds as integers, missing as "n/a"."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value <= 1.0:
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.0f}"
    return str(value)


def outcome(result: dict[str, Any]) -> str:
    """One word for a question's result: right, wrong, abstained, answered (unanswerable), error."""
    if result.get("error"):
        return "error"
    if result["kind"] == "unanswerable":
        return "abstained" if result["abstained"] else "answered"
    if result["abstained"]:
        return "abstained"
    return "right" if result["correct"] else "wrong"


def _rows(report: dict[str, Any]) -> list[str]:
    """The totals' rows worth showing: judge rows only when a judge ran, tokens only when reported."""
    totals = report["totals"]
    return [m for m in TOTAL_ROWS if any(t.get(m) is not None for t in totals.values())
            or m not in ("judge_citation_recall", "judge_citation_precision", "tokens_total")]


# JSON and Markdown -----------------------------------------------------------------------------

def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: setup, totals, totals per kind, every question, and our failures."""
    systems = list(report["totals"])
    meta = report.get("meta", {})
    lines = ["# Eval report", ""]
    lines += [f"- {k}: {_md_cell(v)}" for k, v in meta.items() if not isinstance(v, dict | list)]
    lines += ["", "## Totals", "", "| metric | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
    for metric in _rows(report):
        lines.append(f"| {label(metric)} | " + " | ".join(fmt(report["totals"][s].get(metric)) for s in systems) + " |")
    lines += ["", "## By question kind", "", "| system | kind | questions | right | answer accuracy | "
              "abstention accuracy | citation precision | verbatim rate | conflict surfacing |",
              "|---|---|---|---|---|---|---|---|---|"]
    for system in systems:
        for kind, t in report["by_kind"].get(system, {}).items():
            lines.append(f"| {system} | {kind} | {t['questions']} | {fmt(t['right_rate'])} | "
                         f"{fmt(t['answer_accuracy'])} | {fmt(t['abstention_accuracy'])} | "
                         f"{fmt(t['citation_precision'])} | {fmt(t['verbatim_rate'])} | "
                         f"{fmt(t['conflict_surfacing'])} |")
    lines += ["", "## Questions", "", "| id | kind | question | " + " | ".join(
        f"{s}: result | {s}: cit. P | {s}: verbatim" for s in systems) + " |",
        "|---|---|---|" + "---|---|---|" * len(systems)]
    for q in report["questions"]:
        cells = []
        for s in systems:
            r = q["results"][s]
            cells += [outcome(r), fmt(r["citation_precision"]), fmt(r["verbatim_rate"])]
        lines.append(f"| {q['id']} | {q['kind']} | {_md_cell(q['question'])} | " + " | ".join(cells) + " |")
    for system in systems:
        misses = [q for q in report["questions"] if not q["results"][system]["right"]]
        lines += ["", f"## Misses: {system}", ""]
        if not misses:
            lines.append("None.")
        for q in misses:
            r = q["results"][system]
            gold = ", ".join(q["answers"]) or "(abstain)"
            lines.append(f"- **{q['id']}** {_md_cell(q['question'])} — gold: {_md_cell(gold)} — "
                         f"{outcome(r)}: {_md_cell(r['error'] or r['answer'] or '(empty)')}")
    return "\n".join(lines) + "\n"


def write_markdown(report: dict[str, Any], path: Path) -> None:
    path.write_text(markdown(report), encoding="utf-8")


# HTML ------------------------------------------------------------------------------------------

def bar_chart(title: str, groups: Sequence[str], series: dict[str, Sequence[float | None]]) -> str:
    """A grouped bar chart (values 0..1) as inline SVG: one group per label, one bar per series."""
    names = list(series)
    bar, gap, left, top, height = 16, 18, 40, 30, 180
    group_width = bar * max(1, len(names)) + gap
    longest = 6.2 * max((len(g) for g in groups), default=0)  # px of the longest label, slanted 35 degrees
    width = int(max(left + group_width * len(groups) + max(40, 0.82 * longest), left + 7.5 * len(title),
                    left + 120 * len(names)))
    legend_y = int(top + height + 24 + 0.58 * longest)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(title)}" '
             f'width="{width}" height="{legend_y + 20}" viewBox="0 0 {width} {legend_y + 20}" '
             'font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + height - tick * height
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * group_width + gap / 2
        for i, name in enumerate(names):
            value = series[name][g]
            x = x0 + i * bar
            if value is None:
                parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + height - 3}" text-anchor="middle" '
                             'fill="#999" font-size="9">–</text>')
                continue
            h = max(0.0, min(1.0, value)) * height
            parts.append(f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bar - 2}" height="{h:.1f}" '
                         f'fill="{COLORS[i % len(COLORS)]}"><title>{html.escape(name)} · {html.escape(group)}: '
                         f'{value:.2f}</title></rect>')
        cx = x0 + bar * len(names) / 2
        parts.append(f'<text transform="translate({cx:.1f},{top + height + 8}) rotate(35)" '
                     f'text-anchor="start">{html.escape(group)}</text>')
    for i, name in enumerate(names):
        x = left + i * 120
        parts.append(f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{COLORS[i % len(COLORS)]}"/>'
                     f'<text x="{x + 14}" y="{legend_y}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3} .right{color:#276749} .wrong,.answered,.error{color:#c53030} .abstained{color:#975a16}
.quote{color:#555;font-size:12px} .no{color:#c53030} details{margin:2px 0} svg{margin:1em 1em 0 0}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def html_page(report: dict[str, Any]) -> str:
    """The report as one HTML page with inline CSS and SVG: no external assets."""
    systems = list(report["totals"])
    totals = report["totals"]
    metrics = [m for m in HEADLINE if any(totals[s].get(m) is not None for s in systems)]
    charts = [bar_chart("Metrics per system", [label(m) for m in metrics],
                        {s: [totals[s].get(m) for m in metrics] for s in systems})]
    kinds = [k for k in KINDS if any(k in report["by_kind"].get(s, {}) for s in systems)]
    for metric, title in (("right_rate", "right answers or abstentions"), ("citation_precision", "citation precision"),
                          ("verbatim_rate", "verbatim rate")):
        charts.append(bar_chart(f"{title} per question kind", kinds,
                                {s: [report["by_kind"].get(s, {}).get(k, {}).get(metric) for k in kinds]
                                 for s in systems}))
    meta = "".join(f"<li>{_esc(k)}: {_esc(v)}</li>" for k, v in report.get("meta", {}).items()
                   if not isinstance(v, dict | list))
    head = "".join(f"<th>{_esc(s)}</th>" for s in systems)
    rows = "".join(f"<tr><td>{_esc(label(m))}</td>" + "".join(f"<td>{fmt(totals[s].get(m))}</td>" for s in systems)
                   + "</tr>" for m in _rows(report))
    questions = []
    for q in report["questions"]:
        cells = []
        for s in systems:
            r = q["results"][s]
            quotes = "".join(
                f'<div class="quote">[{c["n"]}] {_esc(c["source"])}'
                f'{"" if c["verbatim"] else " <span class=no>(not verbatim)</span>"}: “{_esc(c["quote"])}”</div>'
                for c in r.get("quotes", []))
            cells.append(f'<td><b class="{outcome(r)}">{outcome(r)}</b> · cit. P {fmt(r["citation_precision"])} · '
                         f'verbatim {fmt(r["verbatim_rate"])} · {fmt(r["latency_ms"])} ms'
                         f'<details><summary>{_esc((r["error"] or r["answer"] or "(empty)")[:140])}</summary>'
                         f'<p>{_esc(r["error"] or r["answer"])}</p>{quotes}</details></td>')
        gold = ", ".join(q["answers"]) or "(abstain)"
        questions.append(f"<tr><td>{_esc(q['id'])}</td><td>{_esc(q['kind'])}</td><td>{_esc(q['question'])}"
                         f"<div class=quote>gold: {_esc(gold)}</div></td>{''.join(cells)}</tr>")
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Eval report</title>"
            f"<style>{_CSS}</style></head><body><h1>Eval report</h1><ul>{meta}</ul>"
            f"<div>{''.join(charts)}</div><h2>Totals</h2><table><tr><th>metric</th>{head}</tr>{rows}</table>"
            f"<h2>Questions</h2><table><tr><th>id</th><th>kind</th><th>question</th>{head}</tr>"
            f"{''.join(questions)}</table></body></html>\n")


def write_html(report: dict[str, Any], path: Path) -> None:
    path.write_text(html_page(report), encoding="utf-8")


def write_reports(report: dict[str, Any], folder: Path) -> list[Path]:
    """report.json, report.md and report.html in `folder` (created when missing)."""
    from assistant.errors import UserError

    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / "report.json", folder / "report.md", folder / "report.html"]
        write_json(report, paths[0])
        write_markdown(report, paths[1])
        write_html(report, paths[2])
    except OSError as exc:
        raise UserError(f"cannot write the report to {folder}: {exc.strerror or exc}") from None
    return paths


# Terminal --------------------------------------------------------------------------------------

def print_tables(report: dict[str, Any], console: Any) -> None:
    """The per-question table and the totals table, with rich."""
    from rich.table import Table

    systems = list(report["totals"])
    table = Table(title="Questions", show_lines=False)
    table.add_column("id")
    table.add_column("kind")
    for s in systems:
        table.add_column(s)
        table.add_column("cit. P", justify="right")
        table.add_column("verb.", justify="right")
        table.add_column("ms", justify="right")
    styles = {"right": "green", "abstained": "yellow"}
    for q in report["questions"]:
        cells = [q["id"], q["kind"]]
        for s in systems:
            r = q["results"][s]
            word = outcome(r)
            cells += [f"[{styles.get(word, 'red')}]{word}[/]", fmt(r["citation_precision"]), fmt(r["verbatim_rate"]),
                      fmt(r["latency_ms"])]
        table.add_row(*cells)
    console.print(table)
    summary = Table(title="Totals")
    summary.add_column("metric")
    for s in systems:
        summary.add_column(s, justify="right")
    for metric in _rows(report):
        summary.add_row(label(metric), *(fmt(report["totals"][s].get(metric)) for s in systems))
    console.print(summary)
