"""Place names with diacritics, typed with or without them, end to end through `assistant ask`: six flood reports
(Zürich, Graz, Lyon, Gdańsk, Kraków, Malmö) that differ only by their city, each question answered with the
count of its own city's report and that report's quote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli, warm_home
from tests.corpus.flood_reports import write_flood_reports

pytestmark = pytest.mark.slow

ASKED = {  # city as typed -> (its report, the count it gives)
    "Krakow": ("krakow.txt", "34"),
    "Malmo": ("malmo.txt", "7"),
    "Zürich": ("zurich.txt", "12"),
    "Gdansk": ("gdansk.txt", "21"),
}


def test_names_typed_with_or_without_diacritics_are_answered_with_their_quote(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path / "home"
    shutil.copytree(warm_home(tmp_path_factory), home, ignore=shutil.ignore_patterns(".ready"))
    folder = write_flood_reports(tmp_path / "floods")
    ingested = run_cli("ingest", str(folder), "--json", home=home)
    assert ingested.returncode == 0, ingested.stderr
    for city, (report, count) in ASKED.items():
        result = run_cli("ask", "--json", f"How many trams were moved from the flooded depot in {city}?", home=home)
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["abstained"] is False and count in answer["answer"], (city, answer["answer"])
        quotes = [c for c in answer["citations"] if Path(c["source"]).name == report]
        assert any(f"{count} trams" in c["quote"] or f"{count}\ntrams" in c["quote"] for c in quotes), (city, answer)
        for citation in answer["citations"]:
            text = Path(citation["source"]).read_text(encoding="utf-8")
            assert text[citation["start"] : citation["end"]] == citation["quote"]
