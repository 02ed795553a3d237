"""Reading RealTime QA (Kasai et al., 2022) weeks from a clone of `realtimeqa/realtimeqa_public`.

A week is two JSONL files: `past/<year>/<week>_qa.jsonl` (the questions: `question_id`, `question_sentence`,
`choices`, `answer` = the right choice's index as a string, in a list) and `past/<year>/<week>_gcs.jsonl` (per
`question_id`, `search_result`: the articles a web search returned, `url`, `title`, `text`, `publish_date`).
The clone may be a work tree or the bare git directory a snapshot comes as (read with `git show HEAD:path`).
Only the week asked for is read: nothing here lists a year's folder.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import UserError

CLONE_HINT = "git clone https://github.com/realtimeqa/realtimeqa_public"
WEEK = re.compile(r"\d{8}")


class MissingArticles(UserError):
    """A week with questions but no `_gcs.jsonl` (a few 2022 weeks): skipped when several weeks run."""


@dataclass(frozen=True)
class NewsArticle:
    """One search result as fetched: the text keeps its boilerplate (ads, video captions, newsletter plugs)."""

    url: str
    title: str
    text: str
    date: str


@dataclass(frozen=True)
class QuizQuestion:
    """One multiple-choice question and the URLs of the articles searched for it, in their order."""

    id: str
    sentence: str
    choices: tuple[str, ...]
    right: int  # index into `choices`
    urls: tuple[str, ...]

    @property
    def right_choice(self) -> str:
        return self.choices[self.right]


@dataclass
class WeekData:
    """A week's questions (those with a usable right choice), its distinct articles by URL, and what was skipped."""

    week: str
    questions: list[QuizQuestion]
    articles: dict[str, NewsArticle]
    source_sha256: dict[str, str]
    skipped: int = 0


class Source:
    """A RealTime QA clone: a work tree (`past/` inside), or a bare git directory (`HEAD` and `objects/`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if not folder.is_dir():
            raise UserError(f"no such folder: {folder} (--source is a clone of RealTime QA: {CLONE_HINT})")
        self.bare = not (folder / "past").is_dir() and (folder / "HEAD").is_file() and (folder / "objects").is_dir()
        if not self.bare and not (folder / "past").is_dir():
            raise UserError(f"{folder} is not a RealTime QA clone (no past/ folder; get one with {CLONE_HINT})")
        if self.bare and self._git("cat-file", "-e", "HEAD:past") is None:
            raise UserError(f"{folder} is a git directory without past/: not a RealTime QA clone ({CLONE_HINT})")

    def _git(self, *args: str) -> bytes | None:
        try:
            done = subprocess.run(["git", "--git-dir", str(self.folder), *args], capture_output=True, check=False,
                                  timeout=120)
        except FileNotFoundError:
            raise UserError(f"{self.folder} is a bare git directory and git is not installed: clone it") from None
        return done.stdout if done.returncode == 0 else None

    def read(self, relative: str) -> bytes | None:
        """The file's bytes, or None when the clone has no such file."""
        if self.bare:
            return self._git("show", f"HEAD:{relative}")
        path = self.folder / relative
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None

    def where(self, relative: str) -> str:
        return f"{self.folder}:{relative}" if self.bare else str(self.folder / relative)


def week_files(week: str) -> tuple[str, str]:
    """The paths, inside a clone, of a week's questions and articles."""
    return f"past/{week[:4]}/{week}_qa.jsonl", f"past/{week[:4]}/{week}_gcs.jsonl"


def check_week(week: str) -> str:
    week = week.strip()
    if not WEEK.fullmatch(week):
        raise UserError(f"a week is written YYYYMMDD (as in past/2022/20220617_qa.jsonl), not {week!r}")
    return week


def _records(raw: bytes, where: str) -> list[tuple[str, dict[str, Any]]]:
    """The JSON objects of a JSONL file, each with "file:line" for error messages."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{where}: not UTF-8 text") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise UserError(f"{where}:{number}: expected a JSON object")
        out.append((f"{where}:{number}", data))
    return out


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _question(where: str, data: dict[str, Any], urls: tuple[str, ...]) -> QuizQuestion | None:
    """A question, or None when it has no usable right choice (an answer index that is missing or out of range)."""
    qid, sentence, choices = data.get("question_id"), data.get("question_sentence"), data.get("choices")
    if not isinstance(qid, str) or not isinstance(sentence, str) or not isinstance(choices, list):
        raise UserError(f"{where}: not a RealTime QA question (question_id, question_sentence, choices expected)")
    answer = data.get("answer")
    index = answer[0] if isinstance(answer, list) and answer else answer
    try:
        right = int(index)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not 0 <= right < len(choices) or not all(isinstance(c, str) for c in choices):
        return None
    return QuizQuestion(qid, sentence.strip(), tuple(choices), right, urls)


def read_week(source: Source, week: str) -> WeekData:
    """A week's questions and distinct articles; a `UserError` when the clone lacks the week or its articles."""
    qa_path, gcs_path = week_files(week)
    qa_raw = source.read(qa_path)
    if qa_raw is None:
        raise UserError(f"no week {week} in {source.folder} (no {qa_path})")
    gcs_raw = source.read(gcs_path)
    if gcs_raw is None:
        raise MissingArticles(f"week {week} has no articles in {source.folder} (no {gcs_path})")
    results: dict[str, list[dict[str, Any]]] = {}
    for where, data in _records(gcs_raw, source.where(gcs_path)):
        found = data.get("search_result")
        if not isinstance(data.get("question_id"), str) or not isinstance(found, list):
            raise UserError(f"{where}: not a RealTime QA search result (question_id, search_result expected)")
        results[data["question_id"]] = [r for r in found if isinstance(r, dict) and isinstance(r.get("url"), str)]
    articles: dict[str, NewsArticle] = {}
    for found in results.values():
        for r in found:  # the same URL returned for several questions is one article
            articles.setdefault(r["url"], NewsArticle(r["url"], " ".join(_text(r.get("title")).split()),
                                                      _text(r.get("text")), _text(r.get("publish_date"))))
    questions: list[QuizQuestion] = []
    skipped = 0
    for where, data in _records(qa_raw, source.where(qa_path)):
        urls = tuple(dict.fromkeys(r["url"] for r in results.get(str(data.get("question_id")), [])))
        question = _question(where, data, urls)
        if question is None:
            skipped += 1
        else:
            questions.append(question)
    if not questions:
        raise UserError(f"week {week}: no questions with a right choice in {source.where(qa_path)}")
    digests = {"qa": hashlib.sha256(qa_raw).hexdigest(), "gcs": hashlib.sha256(gcs_raw).hexdigest()}
    return WeekData(week, questions, articles, digests, skipped)
