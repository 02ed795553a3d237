"""The bundled demo articles through the real command: stored again from the package when the store holds them only
under files that are gone (an earlier copy or install of the package, since removed), so that citations name
files that exist."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli_helpers import QUESTION, assert_verified_guards_answer, one_json_object, run_cli
from tests.conftest import SEEDS


def test_ask_stores_the_bundled_articles_again_when_their_stored_files_are_gone(tmp_path: Path) -> None:
    home, old_copy = tmp_path / "home", tmp_path / "removed-install" / "seeds"
    shutil.copytree(SEEDS, old_copy)
    assert run_cli("ingest", str(old_copy), home=home).returncode == 0
    shutil.rmtree(old_copy)

    result = run_cli("ask", "--json", QUESTION, home=home)
    assert result.returncode == 0, result.stderr
    assert "stored under files that are gone" in result.stderr
    assert "5 moved" in result.stderr
    answer = one_json_object(result.stdout)
    assert_verified_guards_answer(answer)  # reads each cited file at its offsets: the old copy's are gone
    assert {Path(c["source"]).parent for c in answer["citations"]} == {SEEDS.resolve()}

    again = run_cli("ask", "--json", QUESTION, home=home)
    assert again.returncode == 0, again.stderr
    assert "gone" not in again.stderr and "ingest" not in again.stderr
    sources = run_cli("sources", "--json", home=home)
    assert sources.returncode == 0 and str(old_copy) not in sources.stdout and sources.stdout.count(".txt") == 5
