"""Usage mistakes through the real command line: the same one `error:` line (with a hint naming the command's
`--help`) and exit 1 as every other error, never Typer's usage box and exit 2; and `sources` in plain English."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import clone_home, error_line, run_cli, warm_home


@pytest.mark.parametrize(("args", "expected"), [
    (("ask",), "error: missing argument 'question' (try `assistant ask --help`)"),
    (("ask", "--top-k", "0", "Who?"), "(try `assistant ask --help`)"),
    (("ask", "--bogus", "Who?"), "error: no such option: --bogus (try `assistant ask --help`)"),
    (("ingest",), "error: missing argument 'paths' (try `assistant ingest --help`)"),
    (("nosuch",), "error: no such command 'nosuch' (try `assistant --help`)"),
], ids=["ask-without-question", "bad-option-value", "unknown-option", "ingest-without-paths", "unknown-command"])
def test_a_usage_mistake_is_one_line_with_a_hint(args: tuple[str, ...], expected: str, tmp_path: Path) -> None:
    result = run_cli(*args, home=tmp_path / "home")
    line = error_line(result)  # one line on stderr, nothing on stdout, exit 1
    assert expected in line, line
    assert "Usage:" not in result.stderr
    assert not (tmp_path / "home").exists()  # a mistake stores nothing


def test_no_command_shows_the_help(tmp_path: Path) -> None:
    result = run_cli(home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "Usage: assistant" in result.stdout and "ask" in result.stdout


def test_help_of_a_command_exits_0(tmp_path: Path) -> None:
    result = run_cli("ask", "--help", home=tmp_path / "home")
    assert result.returncode == 0 and "Usage: assistant ask" in result.stdout, result.stderr


@pytest.mark.slow
def test_sources_counts_chunks_in_plain_english(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = clone_home(warm_home(tmp_path_factory), tmp_path_factory.mktemp("sources") / "home")
    folder = tmp_path_factory.mktemp("one-chunk")
    (folder / "short.txt").write_text("Bridge reopens\n\nThe old bridge reopened on Monday.\n", encoding="utf-8")
    assert run_cli("ingest", str(folder), home=home).returncode == 0
    lines = run_cli("sources", home=home).stdout.splitlines()
    assert any(line.startswith("short.txt\t1 chunk\t") for line in lines), lines
    assert any("\t3 chunks\t" in line or "chunks\t" in line for line in lines if not line.startswith("short.txt"))
