"""A RealTime QA week as two eval corpora and their gold sets, in our own formats (see evals/README.md).

- `articles/`: one file per distinct article (by URL), its title and date at the top, the text as fetched
  (boilerplate included: that is real input), plus one counterfactual copy per conflict question;
  `articles.jsonl`: the answerable and conflict questions asked of it.
- `heldout/`: the same articles without every article returned for any of the week's unanswerable
  questions; `heldout.jsonl`: those questions, whose right answer is to abstain.

Each pair also runs as a plain `assistant eval --gold articles.jsonl --corpus articles/`. A week is written once
under `<data folder>/realtimeqa/<week>` and reused while `manifest.json` records the same SHA-256 of the two
source files, the same seeds and the same `FORMAT`; otherwise it is written again (to a temporary folder,
renamed into place).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from assistant.evals.realtimeqa_data import NewsArticle, QuizQuestion, Source, WeekData, read_week

FORMAT = 2  # bump when the files written change, so that cached weeks are written again
# The samples' seeds. Each week draws from its own generator, Random(f"{seed}:{week}"): adding a week to a run
# does not change another week's sample.
UNANSWERABLE_SEED = 2101
CONFLICT_SEED = 2102
SAMPLE_SHARE = 0.25  # about a quarter of the questions are asked unanswerable, of the answerable ones as conflicts
# An article published more than this many days before the quiz is background to the week's news, not a report of
# it (`copy_of_the_week`). Chosen as "a month" before it was counted; it is the yardstick's own, not the engine's.
REPORT_DAYS = 31
_WRAPPING_QUOTES = "\"'“”‘’«»"


def answer_text(choice: str) -> str:
    """A choice as an answer: its text without the quotation marks a quiz puts around titles (“Squid Game”)."""
    return choice.strip().strip(_WRAPPING_QUOTES).strip()


def answer_pattern(answer: str) -> re.Pattern[str]:
    """`answer` in a text, ignoring case and the white space between its words (either apostrophe), as whole words."""
    parts = [re.sub("['’]", "['’]", re.escape(word)) for word in answer.split()]
    lead = r"(?<!\w)" if answer[:1].isalnum() else ""
    tail = r"(?!\w)" if answer[-1:].isalnum() else ""
    return re.compile(lead + r"\s+".join(parts) + tail, re.IGNORECASE)


def article_name(url: str, variant: str = "") -> str:
    """An article's file name: a digest of its URL (and, for a counterfactual copy, of its question)."""
    return hashlib.sha256(f"{url}\n{variant}".encode()).hexdigest()[:16] + ".txt"


def news_file(article: NewsArticle) -> str:
    """An article as a news file: title on the first line (where ingestion reads a text file's title), the date on
    the second, a blank line, then the text as fetched."""
    date = article.date.replace("/", "-") if re.fullmatch(r"\d{4}/\d\d/\d\d", article.date) else article.date
    head = [article.title or article.url] + ([date] if date else [])
    return "\n".join(head) + "\n\n" + article.text.rstrip() + "\n"


@dataclass(frozen=True)
class Counterfactual:
    """A conflict question's copy of an article stating the answer, the answer replaced by another choice."""

    question: str
    url: str
    answer: str
    replacement: str


@dataclass
class Selection:
    """Which questions are asked as which kind, with the articles that state each right answer."""

    answerable: list[str]
    unanswerable: list[str]
    conflicts: list[Counterfactual]
    stating: dict[str, list[str]]  # question id -> URLs of the week's articles stating its right answer
    left_out: set[str] = field(default_factory=set)  # URLs of the articles missing from `heldout/`


def _sample(ids: list[str], rng: random.Random) -> list[str]:
    return sorted(rng.sample(ids, round(len(ids) * SAMPLE_SHARE))) if ids else []


def select(data: WeekData, unanswerable_seed: int = UNANSWERABLE_SEED,
           conflict_seed: int = CONFLICT_SEED) -> Selection:
    """Answerable: the right choice's text is in one of the week's articles. Unanswerable: a seeded quarter of all
    questions, asked without the articles returned for them or stating their right choice. Conflict: a seeded
    quarter of the answerable ones that have an article returned for them stating the answer and not another
    choice; they are not asked as answerable."""
    stating: dict[str, list[str]] = {}
    for q in data.questions:
        answer = answer_text(q.right_choice)
        pattern = answer_pattern(answer) if answer else None
        stating[q.id] = [u for u, a in data.articles.items() if pattern and (pattern.search(a.text)
                                                                            or pattern.search(a.title))]
    by_id = {q.id: q for q in data.questions}
    answerable = [q.id for q in data.questions if stating[q.id]]
    unanswerable = _sample([q.id for q in data.questions], random.Random(f"{unanswerable_seed}:{data.week}"))
    rng = random.Random(f"{conflict_seed}:{data.week}")
    options = {qid: _counterfactual_options(by_id[qid], stating[qid], data.articles) for qid in answerable}
    conflicts = []
    for qid in _sample([qid for qid in answerable if options[qid]], rng):
        url = rng.choice(sorted(options[qid]))
        conflicts.append(Counterfactual(qid, url, answer_text(by_id[qid].right_choice),
                                        rng.choice(options[qid][url])))
    chosen = {c.question for c in conflicts}
    # Left out of `heldout/`: what was returned for an unanswerable question, and any other article stating its right
    # choice (a week's round-ups restate many answers), so that the right answer is stated nowhere in that corpus.
    left_out = {u for qid in unanswerable for u in (*by_id[qid].urls, *stating[qid])}
    return Selection([qid for qid in answerable if qid not in chosen], unanswerable, conflicts, stating, left_out)


def _counterfactual_options(q: QuizQuestion, stating: list[str], articles: dict[str, NewsArticle]
                            ) -> dict[str, list[str]]:
    """Per article returned for the question that states the answer, the other choices it does not state: each
    would make a copy that says only the other value. Not other articles of the week: there the answer's words
    are often a coincidence (a 2018 report on interest rates says "nine years"), and a copy saying "eight
    years" would be no report of the event asked about."""
    answer = answer_text(q.right_choice)
    own = [u for u in stating if u in q.urls]
    others = [answer_text(c) for i, c in enumerate(q.choices) if i != q.right]
    others = [c for c in dict.fromkeys(others) if c and c.casefold() != answer.casefold()]
    options: dict[str, list[str]] = {}
    for url in own:
        text = articles[url].title + "\n" + articles[url].text
        fitting = [c for c in others if not answer_pattern(c).search(text)]
        if fitting:
            options[url] = fitting
    return options


def counterfactual_copy(article: NewsArticle, answer: str, replacement: str) -> NewsArticle:
    """The article with every mention of `answer` (as `answer_pattern` finds them) replaced by `replacement`."""
    pattern = answer_pattern(answer)
    return NewsArticle(article.url, pattern.sub(lambda _: replacement, article.title),
                       pattern.sub(lambda _: replacement, article.text), article.date)


def copy_of_the_week(corpus: Path, sources: Sequence[str], week: str) -> bool:
    """Whether a conflict question's copy (`sources`: the copied article, then its copy) is of a report from the
    quiz's week: the copied article published at most `REPORT_DAYS` before the week's date, or undated.

    The copies are drawn from the articles RealTime QA returned for the question, and those include background
    from years before (a 2019 report on car fires that names the automaker of a 2022 recall in passing): a copy
    of one gives the other value in an article that does not report the event asked about. Reports count both
    ways; this tells the conflicts that test the engine from those that test the data."""
    try:
        with (corpus / sources[0]).open(encoding="utf-8") as file:
            file.readline()  # the title (`news_file`)
            published = dt.date.fromisoformat(file.readline().strip()[:10])
    except (OSError, IndexError, UnicodeDecodeError, ValueError):
        return True  # no file, or no ISO day under its title: not shown to be old
    return (dt.datetime.strptime(week, "%Y%m%d").date() - published).days <= REPORT_DAYS


# Writing a week --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConvertedWeek:
    """A week's corpora and gold files on disk, and its manifest (selection, counts, seeds, source digests)."""

    week: str
    folder: Path
    manifest: dict[str, Any]
    reused: bool

    @property
    def pairs(self) -> list[tuple[str, Path, Path]]:
        """(name, corpus folder, gold file) for each corpus that has questions."""
        return [(name, self.folder / name, self.folder / f"{name}.jsonl") for name in ("articles", "heldout")
                if self.manifest["gold"][name]]


def _gold_line(item_id: str, question: str, answers: list[str], sources: list[str], kind: str, note: str) -> str:
    return json.dumps({"id": item_id, "question": question, "answers": answers, "sources": sources, "kind": kind,
                       "note": note}, ensure_ascii=False)


def write_week(data: WeekData, selection: Selection, folder: Path, seeds: dict[str, int]) -> dict[str, Any]:
    """Write the two corpora, their gold files and `manifest.json` (last) into `folder`; returns the manifest."""
    by_id = {q.id: q for q in data.questions}
    (folder / "articles").mkdir(parents=True)
    (folder / "heldout").mkdir()
    for url, article in data.articles.items():
        text = news_file(article)
        (folder / "articles" / article_name(url)).write_text(text, encoding="utf-8")
        if url not in selection.left_out:
            (folder / "heldout" / article_name(url)).write_text(text, encoding="utf-8")
    full: list[str] = []
    for qid in selection.answerable:
        q = by_id[qid]
        sources = [u for u in selection.stating[qid] if u in q.urls] or selection.stating[qid]
        full.append(_gold_line(qid, q.sentence, [answer_text(q.right_choice)], [article_name(u) for u in sources],
                               "answerable", f"stated in {len(selection.stating[qid])} of the week's articles"))
    for c in selection.conflicts:
        copy = counterfactual_copy(data.articles[c.url], c.answer, c.replacement)
        (folder / "articles" / article_name(c.url, c.question)).write_text(news_file(copy), encoding="utf-8")
        full.append(_gold_line(f"{c.question}-c", by_id[c.question].sentence, [c.answer, c.replacement],
                               [article_name(c.url), article_name(c.url, c.question)], "conflict",
                               f"copy of {article_name(c.url)} with {c.answer!r} replaced by {c.replacement!r}"))
    heldout = [_gold_line(f"{qid}-u", by_id[qid].sentence, [], [], "unanswerable",
                          f"left out: {len(by_id[qid].urls)} articles returned for it, "
                          f"{len(selection.stating[qid])} stating {answer_text(by_id[qid].right_choice)!r}")
               for qid in selection.unanswerable]
    for name, lines in (("articles", full), ("heldout", heldout)):
        (folder / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    manifest = {
        "format": FORMAT, "week": data.week, "source_sha256": data.source_sha256, "seeds": seeds,
        "questions": len(data.questions), "skipped_questions": data.skipped, "articles": len(data.articles),
        "left_out": len(selection.left_out),
        "kinds": {"answerable": selection.answerable, "unanswerable": selection.unanswerable,
                  "conflict": [c.question for c in selection.conflicts]},
        "gold": {"articles": len(full), "heldout": len(heldout)},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _cached(folder: Path, data: WeekData, seeds: dict[str, int]) -> dict[str, Any] | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fresh = (isinstance(manifest, dict) and manifest.get("format") == FORMAT and manifest.get("seeds") == seeds
             and manifest.get("source_sha256") == data.source_sha256)
    return manifest if fresh else None


def convert_week(source: Source, week: str, home: Path) -> ConvertedWeek:
    """The week's corpora and gold files under `home/realtimeqa/<week>`, written unless a fresh copy is there."""
    data = read_week(source, week)
    seeds = {"unanswerable": UNANSWERABLE_SEED, "conflict": CONFLICT_SEED}
    folder = home / "realtimeqa" / week
    manifest = _cached(folder, data, seeds)
    if manifest is not None:
        return ConvertedWeek(week, folder, manifest, reused=True)
    partial = folder.with_name(f".{week}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        manifest = write_week(data, select(data), partial, seeds)
        if folder.exists():
            shutil.rmtree(folder)
        partial.rename(folder)
    except OSError as exc:
        raise UserError(f"cannot write the RealTime QA week {week} into {folder}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return ConvertedWeek(week, folder, manifest, reused=False)
