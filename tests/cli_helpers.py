"""Helpers shared by the tests that drive the real `assistant` command in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEEDS

ROOT = Path(__file__).resolve().parent.parent
ASSISTANT = ROOT / ".venv" / "bin" / "assistant"
QUESTION = "How many guards were injured?"


def run_cli(*args: str, home: Path, env: dict[str, str] | None = None, stdin: str = "",
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real `assistant` command, with `os.environ` plus `env`, and never waiting on the terminal."""
    full_env = {**os.environ, "ASSISTANT_HOME": str(home), "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost", **(env or {})}
    command = [str(ASSISTANT)] if ASSISTANT.exists() else [sys.executable, "-m", "assistant.cli"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, env=full_env,
                          timeout=timeout, check=False)


def warm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the seeds ingested (and the embedding model's export cached), made once per session."""
    base = tmp_path_factory.getbasetemp() / "assistant-warm-home"
    ready = base / ".ready"
    if not ready.exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        result = run_cli("ingest", str(SEEDS), "--json", home=base, timeout=600)
        assert result.returncode == 0, result.stderr
        ready.touch()
    return base


def clone_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ready"))
    return target


def get_json(url: str) -> Any:
    """GET a JSON document from a local server, bypassing any proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=2) as response:
        return json.loads(response.read())


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not exit."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def assert_verified_guards_answer(answer: dict[str, Any]) -> None:
    """Not abstained, says seven, every sentence cited, every quote equal to the file's text at its offsets."""
    assert answer["abstained"] is False, answer
    assert re.search(r"\b(seven|7)\b", answer["answer"], re.IGNORECASE), answer["answer"]
    numbers = {c["n"] for c in answer["citations"]}
    assert answer["sentences"], answer
    for sentence in answer["sentences"]:
        assert sentence["citations"], sentence
        assert set(sentence["citations"]) <= numbers, sentence
    assert answer["citations"], answer
    for citation in answer["citations"]:
        raw = Path(citation["source"]).read_bytes()
        text = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
        assert text[citation["start"] : citation["end"]] == citation["quote"], citation


def one_json_object(stdout: str) -> dict[str, Any]:
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, stdout
    value = json.loads(lines[0])
    assert isinstance(value, dict)
    return value




def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single `error:` line the command printed on stderr, after checking the exit code and stdout."""
    assert result.returncode != 0, result.stdout
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def run_main(argv: list[str], monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`assistant ARGV` in this process: (exit code, stdout, stderr)."""
    from assistant import cli

    monkeypatch.setattr(sys, "argv", ["assistant", *argv])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def last_json_line(code: str, home: Path | None = None) -> Any:
    """Run `code` in a fresh interpreter (its data under `home`, if given), which must exit 0; the last line it
    printed, parsed as JSON."""
    env = {**os.environ, "ASSISTANT_HOME": str(home)} if home is not None else None
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
