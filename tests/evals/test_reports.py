"""Reports from the report.json document: JSON, Markdown, a self-contained HTML page."""

from __future__ import annotations

import json
import re
from pathlib import Path

from assistant.evals.answers import Quote, Sentence, SystemAnswer
from assistant.evals.harness import EvalResult, run_eval
from assistant.evals.reports import html_page, markdown, write_reports
from tests.evals.samples import GUARDS, OFF_TOPIC, answer, lexical_support, quote


def small_result(corpus: dict[str, Path]) -> EvalResult:
    text = "Seven of the prime minister's guards were injured in the attack."
    ours = {GUARDS.id: answer(text, [Sentence(text, [1])], [quote(corpus["a"], text)]),
            OFF_TOPIC.id: answer("The articles do not say.", [], [], abstained=True)}
    chunk = Quote(1, str(corpus["a"]), "The attack happened on Sunday. Officials said he was unharmed.")
    base = {GUARDS.id: SystemAnswer("baseline", "Guards <b>were</b> hurt [1].", False,
                                    [Sentence("Guards were hurt.", [1])], [chunk], [], 900.0),
            OFF_TOPIC.id: SystemAnswer("baseline", "Canberra.", False, [Sentence("Canberra.", [])], [], [], 800.0)}
    result = run_eval([GUARDS, OFF_TOPIC], {
        "ours": lambda q: ours[GUARDS.id if "guards" in q else OFF_TOPIC.id],
        "baseline": lambda q: base[GUARDS.id if "guards" in q else OFF_TOPIC.id],
    }, lexical_support, meta={"model": "fake", "top_k": 6})
    return result


def test_reports_contents(tmp_path: Path, corpus: dict[str, Path]) -> None:
    document = small_result(corpus).to_json()
    paths = write_reports(document, tmp_path / "out")
    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert set(data) == {"meta", "totals", "by_kind", "questions"}
    assert data["totals"]["ours"]["answer_accuracy"] == 1.0 and data["totals"]["baseline"]["answer_accuracy"] == 0.0
    assert data["totals"]["ours"]["verbatim_rate"] == 1.0 and data["totals"]["baseline"]["verbatim_rate"] == 0.0
    assert data["by_kind"]["ours"]["unanswerable"]["abstention_accuracy"] == 1.0
    assert data["questions"][0]["results"]["ours"]["quotes"][0]["verbatim"] is True

    md = paths[1].read_text(encoding="utf-8")
    assert "| answer accuracy | 1.00 | 0.00 |" in md and "| verbatim rate | 1.00 | 0.00 |" in md
    assert "| g1 | answerable |" in md and "## Misses: baseline" in md and "Canberra" in md

    page = paths[2].read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and "Metrics per system" in page and "per question kind" in page
    assert "&lt;b&gt;were&lt;/b&gt;" in page and "<b>were</b>" not in page  # answers are escaped
    assert "(not verbatim)" in page
    # Self-contained: no scripts, stylesheets or images fetched; the only URL is the SVG namespace.
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert set(re.findall(r"https?://[^\s\"']+", page)) == {"http://www.w3.org/2000/svg"}
    assert markdown(document) == md and html_page(document) == page
