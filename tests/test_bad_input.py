"""Bad input: odd questions, messy article folders, mistaken settings and gold files.

Questions go through the CLI's reader (limits, junk) and then the real engine with the embedded model; folders
are ingested in-process into the test's own store; errors must be one line naming the file, line or setting.
"""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run_main
from tests.conftest import SEEDS

SEED = sorted(SEEDS.glob("*.txt"))[0]


# Questions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["", "   ", "\n\t \n", "\x00\x01\x1b", "\x7f\x9b"],
                         ids=["empty", "spaces", "blank-lines", "controls", "del-c1"])
def test_empty_questions_are_refused(question: str) -> None:
    from assistant.cli import _read_question
    from assistant.errors import UserError

    with pytest.raises(UserError, match="the question is empty"):
        _read_question(question)


def test_a_huge_question_is_refused_before_any_model_sees_it(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """100,000 characters: one error line, and the store and models are never opened."""
    import assistant.answer.engine

    def no_session(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the session was opened for a question that is refused")

    monkeypatch.setattr(assistant.answer.engine, "open_session", no_session)
    code, out, err = run_main(["ask", "x" * 100_000], monkeypatch, capsys)
    assert code == 1 and out == ""
    assert err.strip() == "error: the question is too long (100000 characters; at most 2000)"
    code, out, err = run_main(["ask", "where " * 300], monkeypatch, capsys)  # under 2000 chars, over 256 pieces
    assert code == 1 and re.fullmatch(r"error: the question is too long \(\d+ word-pieces; at most 256\)\n", err)


def test_a_huge_question_on_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"why " * 30_000)))
    code, out, err = run_main(["ask", "--json", "-"], monkeypatch, capsys)
    assert code == 1 and out == "" and "too long" in err and "Traceback" not in err


def test_junk_bytes_are_cleaned_not_crashed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import _read_question

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"How many \xff\xfe guards\x00 were\x1b[31m hurt?")))
    assert _read_question("-") == "How many \ufffd\ufffd guards were [31m hurt?"
    # A command-line argument that is not UTF-8 arrives with lone surrogates, which could not be printed.
    assert _read_question("guards \udcff injured?") == "guards \ufffd injured?"


QUESTIONS = [
    "How many guards were injured?\x00\x07",
    "\u00bfCu\u00e1ntos guardias resultaron heridos en el ataque?",
    "\u0643\u0645 \u0639\u062f\u062f \u0627\u0644\u062d\u0631\u0627\u0633 "
    "\u0627\u0644\u0630\u064a\u0646 \u0623\u0635\u064a\u0628\u0648\u0627\u061f",
    "\u6709\u591a\u5c11\u540d\u8b66\u536b\u53d7\u4f24\uff1f" * 8,
    "\U0001f4a5\U0001f681 ??? !!! ### [1] [2] Source [9]:",
    "asdkjh qwpeoiru zmxncb " * 10,
]


class EchoLLM:
    """A scripted model that repeats the question back as its draft: junk in, junk draft out."""

    def __init__(self, text: str) -> None:
        self.text = text

    def stream_chat(self, messages: Any, **kwargs: Any) -> Any:
        from types import SimpleNamespace

        return iter([SimpleNamespace(delta=self.text[:200]), SimpleNamespace(delta=" Seven guards [1].")])


def _check(answer: Any) -> None:
    assert isinstance(answer.answer, str) and answer.answer
    numbers = {c.n for c in answer.citations}
    for sentence in answer.sentences:
        assert sentence.citations and set(sentence.citations) <= numbers
    for citation in answer.citations:
        assert Path(citation.source).read_text(encoding="utf-8")[citation.start : citation.end] == citation.quote


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS, ids=["controls", "spanish", "arabic", "chinese", "symbols", "junk"])
def test_odd_questions_get_an_answer_or_an_abstention(question: str, embedded_engine: Any) -> None:
    """Through the CLI's reader, real retrieval and verification, and a model that echoes the junk back."""
    from assistant.answer import Engine
    from assistant.cli import _read_question

    text = _read_question(question)
    engine = Engine(embedded_engine.retriever, EchoLLM(text), embedded_engine.embed_model, "echo")
    _check(engine.ask(text))


@pytest.mark.slow
def test_a_foreign_language_question_with_the_embedded_model(embedded_engine: Any) -> None:
    from assistant.cli import _read_question

    _check(embedded_engine.ask(_read_question(QUESTIONS[1])))


@pytest.mark.slow
def test_the_longest_accepted_question_fits_the_embedded_model(embedded_engine: Any) -> None:
    """256 word-pieces (the limit) of Chinese, the most tokens per character: no context overflow."""
    from assistant.cli import MAX_QUESTION_TOKENS, _read_question
    from assistant.runtime import count_minilm_tokens

    question = "\u8b66\u536b\u53d7\u4f24\u4e86\u5417" * 60
    while count_minilm_tokens(question) > MAX_QUESTION_TOKENS:
        question = question[:-1]
    _check(embedded_engine.ask(_read_question(question)))


# Files -----------------------------------------------------------------------------------------------

def _messy_folder(root: Path) -> Path:
    """A folder of every kind of bad article file, plus good ones and a duplicate."""
    folder = root / "messy"
    (folder / "nested").mkdir(parents=True)
    shutil.copy(SEED, folder / "good.txt")
    shutil.copy(SEED, folder / "nested" / "copy-of-good.txt")  # the same article under a second name
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("\n\n   \n")
    (folder / "nul.txt").write_bytes(b"PK\x03\x04\x00\x00binary zip header" * 20)
    (folder / "noise.txt").write_bytes(bytes(range(256)) * 20)  # no NUL in the first bytes? there is one: byte 0
    (folder / "controls.txt").write_bytes(bytes([1, 2, 3, 4, 5, 6, 0x81, 0xC3]) * 300)  # no NUL, not UTF-8
    (folder / "latin1.txt").write_bytes("Le caf\u00e9 de la gare a rouvert lundi apr\u00e8s trois ans de travaux. "
                                        "Le ma\u00eetre d'h\u00f4tel a servi cent clients.\n".encode("latin-1"))
    (folder / "cp1252.txt").write_bytes("The mayor said \u201cthe bridge reopens on Friday\u201d \u2013 after "
                                        "eleven months of repairs.\n".encode("cp1252"))
    with (folder / "huge.txt").open("wb") as handle:  # 50 MB, sparse: cheap to make
        handle.truncate(50 * 1024 * 1024)
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "dangling.md").symlink_to("nowhere.md")
    (folder / "subdir.txt").mkdir()  # a folder named like an article
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    (folder / "locked.txt").write_text("A locked article about the harbour. It has two sentences.\n")
    (folder / "up").symlink_to("..")  # a link back up the tree: not followed
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")  # not an article suffix: ignored silently
    return folder


@pytest.fixture
def unreadable_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, so chmod 000 would still be readable: make `locked.txt` raise EACCES instead."""
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


def test_a_messy_folder_is_ingested_with_one_warning_per_bad_file(tmp_path: Path, unreadable_locked: None) -> None:
    from assistant.answer import open_session
    from assistant.config import load_settings
    from assistant.corpus import ingest_paths, read_article

    folder = _messy_folder(tmp_path)
    session = open_session(load_settings())
    warnings: list[str] = []
    report = ingest_paths([folder], session.store, session.embed_model, session.settings.chunk_tokens,
                          warn=warnings.append)
    skipped = {Path(source).name: reason for source, reason in report.skipped}
    assert skipped == {
        "blank.md": "no text",
        "controls.txt": "binary file",
        "copy-of-good.txt": f"same text as {folder.resolve() / 'good.txt'}",
        "dangling.md": "broken symbolic link",
        "empty.txt": "no text",
        "huge.txt": "too large (50 MB > 20 MB)",
        "locked.txt": "unreadable (Permission denied)",
        "loop.txt": "symbolic link loop",
        "noise.txt": "binary file",
        "nul.txt": "binary file",
        "pipe.txt": "not a regular file",
        "subdir.txt": "a folder",
    }
    assert sorted(Path(s).name for s in report.ingested) == ["cp1252.txt", "good.txt", "latin1.txt"]
    assert len(warnings) == len(skipped)  # one line each
    assert all(w.startswith("skipped ") and "\n" not in w for w in warnings)
    summary = report.summary()
    assert summary.startswith("3 ingested (") and "0 unchanged, 12 skipped (" in summary
    assert "binary file: 3" in summary and "duplicate text: 1" in summary

    # Latin-1 and Windows-1252 text is decoded so that stored offsets point into the decoded text.
    for name, expected in (("latin1.txt", "caf\u00e9"), ("cp1252.txt", "\u201cthe bridge")):
        article = read_article(folder / name)
        assert expected in article.text
        chunks = [c for c in session.store.get_chunks() if Path(c.source).name == name]
        assert chunks
        for chunk in chunks:
            for start, end, text in chunk.sentence_texts():
                assert article.text[start:end] == text

    # Duplicate content is stored once, and a second run changes nothing.
    assert len(session.store.find_by_sha(read_article(folder / "good.txt").sha256)) == 1
    again = ingest_paths([folder], session.store, session.embed_model, session.settings.chunk_tokens)
    assert again.ingested == [] and len(again.unchanged) == 3 and len(again.skipped) == 12
    assert session.store.chunk_count() == report.chunks


def test_bad_files_named_directly(tmp_path: Path) -> None:
    """Files given on the command line are checked the same way as files found in folders."""
    from assistant.corpus import find_articles, read_article
    from assistant.errors import UserError

    folder = _messy_folder(tmp_path)
    for name, reason in (("pipe.txt", "not a regular file"), ("loop.txt", "symbolic link loop"),
                         ("nul.txt", "binary file")):
        assert list(find_articles([folder / name])) == [folder / name]
        with pytest.raises(UserError, match=reason):
            read_article(folder / name)
    with pytest.raises(UserError, match="no such file or folder"):
        list(find_articles([folder / "missing.txt"]))


@pytest.mark.slow
def test_the_ingest_command_prints_the_warnings_and_a_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "few"
    folder.mkdir()
    shutil.copy(SEED, folder / "a.txt")
    shutil.copy(SEED, folder / "b.txt")
    (folder / "c.txt").write_bytes(b"\x00\x01")
    (folder / "\x1b[31mred.txt").write_bytes(b"")  # a file name with a terminal escape in it
    code, _, err = run_main(["ingest", str(folder)], monkeypatch, capsys)
    assert code == 0, err
    lines = err.strip().splitlines()
    assert re.fullmatch(r"1 ingested \(\d+ chunks\), 0 unchanged, 3 skipped "
                        r"\(no text: 1, duplicate text: 1, binary file: 1\)", lines[-1]), lines[-1]
    assert len(lines) == 4
    assert "\x1b" not in err and "\\x1b[31mred.txt: no text" in err


# Settings and gold files -----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "value", "message"), [
    ("ASSISTANT_TOP_K", "abc", "valid integer"),
    ("ASSISTANT_TOP_K", "0", "greater than or equal to 1"),
    ("ASSISTANT_CHUNK_TOKENS", "100000", "less than or equal to 256"),
    ("ASSISTANT_INGEST_BATCH_CHUNKS", "8", "greater than or equal to 32"),
    ("ASSISTANT_REQUEST_TIMEOUT", "-1", "greater than 0"),
    ("ASSISTANT_LENIENT", "maybe", "valid boolean"),
    ("ASSISTANT_EMBEDDING", "bert", "must be 'minilm' or 'openai'"),
    ("ASSISTANT_EMBEDDED_WEIGHTS", "q2", "'f16' or 'shipped'"),
])
def test_a_bad_setting_names_the_setting(name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(name, value)
    code, out, err = run_main(["config"], monkeypatch, capsys)
    assert code == 1 and out == ""
    assert err.startswith(f"error: invalid setting {name}: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_setting_in_dot_env_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    Path(".env").write_text("OPENAI_API_KEY=sk-dotenv-SECRET-777\nASSISTANT_MAX_ANSWER_TOKENS=lots\n")
    code, out, err = run_main(["config", "--json"], monkeypatch, capsys)
    assert code == 1 and err.startswith("error: invalid setting ASSISTANT_MAX_ANSWER_TOKENS: ")
    assert "SECRET-777" not in out + err


def test_the_data_folder_set_in_dot_env_holds_all_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`ASSISTANT_HOME` in `.env` is honoured like every other setting (it was read from the environment only,
    so `.env.example`'s line sent state to the platform folder); the environment still wins over `.env`."""
    import json

    from assistant.config import data_home, load_settings
    from assistant.locking import lock_path
    from assistant.runtime import onnx_cache_dir

    from_env = Path(os.environ["ASSISTANT_HOME"])
    Path(".env").write_text(f"ASSISTANT_HOME={tmp_path / 'dotenv-home'}\n")
    assert data_home() == from_env
    monkeypatch.delenv("ASSISTANT_HOME")
    assert data_home() == tmp_path / "dotenv-home"
    assert load_settings().home == tmp_path / "dotenv-home"
    assert lock_path(data_home(), "x").parent == tmp_path / "dotenv-home" / "locks"
    assert onnx_cache_dir() == tmp_path / "dotenv-home" / "onnx"
    code, out, _ = run_main(["config", "--json"], monkeypatch, capsys)
    assert code == 0 and json.loads(out)["home"] == str(tmp_path / "dotenv-home")
    Path(".env").write_text("ASSISTANT_HOME=~/elsewhere\n")
    assert data_home() == Path.home() / "elsewhere"


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "not valid JSON"),
    ('["a list"]', "expected a JSON object"),
    ('{"id": "x", "question": "q?", "answers": [], "sources": []}', "missing 'kind'"),
    ('{"id": "x", "question": "q?", "answers": ["a"], "sources": [], "kind": "maybe"}', "'kind' must be one of"),
    ('{"id": "x", "question": "q?", "answers": [], "sources": [], "kind": "answerable"}', "needs at least one answer"),
    ('{"id": "a", "question": "q?", "answers": ["b"], "sources": [], "kind": "answerable"}', "duplicate id 'a'"),
])
def test_a_bad_gold_line_is_named(line: str, message: str, tmp_path: Path) -> None:
    from assistant.errors import UserError
    from assistant.evals import load_gold

    gold = tmp_path / "gold.jsonl"
    good = '{"id": "a", "question": "How many?", "answers": ["seven"], "sources": [], "kind": "answerable"}'
    gold.write_text(f"# a comment\n{good}\n\n{line}\n")
    with pytest.raises(UserError) as raised:
        load_gold(gold)
    assert str(raised.value).startswith(f"{gold}:4: ") and message in str(raised.value)
