"""`assistant eval --dataset realtimeqa`: RealTime QA weeks converted (`realtimeqa`), each corpus ingested into an
eval collection of its own, every question asked with the models loaded once, and a report per question kind.

The weeks are all converted before anything is ingested, so a week that is missing stops the run before any store
is touched; a week without its articles is skipped with a note when several weeks run.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.answer import KEYWORD_INDEX_STEP
from assistant.errors import UserError
from assistant.evals.gold import GoldItem, load_gold
from assistant.evals.realtimeqa import (
    CONFLICT_SEED,
    SAMPLE_SHARE,
    UNANSWERABLE_SEED,
    ConvertedWeek,
    convert_week,
    copy_of_the_week,
)
from assistant.evals.realtimeqa_data import MissingArticles, Source, check_week
from assistant.evals.scoring import QuestionScore, by_kind, calibration_error, totals

KIND_ORDER = ("answerable", "unanswerable", "conflict")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Run:
    """One corpus of one week and the questions asked of it."""

    week: str
    name: str
    corpus: Path
    items: list[GoldItem]


@dataclass
class WeekTiming:
    convert_s: float = 0.0
    ingest_s: float = 0.0
    questions_s: float = 0.0
    reused: bool = False

    @property
    def total_s(self) -> float:
        return round(self.convert_s + self.ingest_s + self.questions_s, 1)


@dataclass
class Outcome:
    """Every question's score per system, with the week each came from, and the time each week took."""

    items: list[GoldItem] = field(default_factory=list)
    weeks: list[str] = field(default_factory=list)  # parallel to `items`
    scores: dict[str, list[QuestionScore]] = field(default_factory=dict)
    timing: dict[str, WeekTiming] = field(default_factory=dict)
    week_copies: dict[str, bool] = field(default_factory=dict)  # conflict id -> a copy of a report of the week


def figures(scores: Sequence[QuestionScore], week_copies: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """One kind's counts: right, wrong and abstained add up to n (on unanswerable questions, right = abstained);
    precision = right answers / answers given; verbatim over all citations. For conflicts, also how many copy a
    report of the week (`week_copies`, `realtimeqa.copy_of_the_week`; unknown ones count) and how many of those
    were surfaced."""
    n = len(scores)
    abstained = sum(s.abstained for s in scores)
    right = sum(s.right for s in scores)
    answered = n - abstained
    right_answers = sum(bool(s.correct) for s in scores if not s.abstained)
    citations = sum(s.citations for s in scores)
    kind = scores[0].kind if scores else ""
    out: dict[str, Any] = {
        "n": n, "right": right, "wrong": n - right - (abstained if kind != "unanswerable" else 0),
        "abstained": abstained, "answered": answered,
        "precision": round(right_answers / answered, 4) if answered else None,
        "accuracy": round(right / n, 4) if n and kind != "unanswerable" else None,
        "abstention": round(abstained / n, 4) if n and kind == "unanswerable" else None,
        "verbatim_rate": round(sum(s.verbatim for s in scores) / citations, 4) if citations else None,
        "citations": citations, "errors": sum(s.error is not None for s in scores),
        "calibration_error": calibration_error([s for s in scores if s.attempted and kind != "unanswerable"]),
    }
    if kind == "conflict":
        out["surfaced"] = sum(bool(s.conflict_surfaced) for s in scores)
        of_week = [s for s in scores if (week_copies or {}).get(s.id, True)]
        out["week_copies"] = len(of_week)
        out["surfaced_week_copies"] = sum(bool(s.conflict_surfaced) for s in of_week)
    return out


def per_kind(scores: Sequence[QuestionScore], week_copies: Mapping[str, bool] | None = None
             ) -> dict[str, dict[str, Any]]:
    return {kind: figures([s for s in scores if s.kind == kind], week_copies) for kind in KIND_ORDER}


def summary(outcome: Outcome, system: str) -> dict[str, Any]:
    """Pooled figures per kind, and per week (with the week's time)."""
    scores = outcome.scores[system]
    doc: dict[str, Any] = per_kind(scores, outcome.week_copies)
    doc["calibration_error"] = calibration_error([s for s in scores if s.attempted])  # every answer given
    doc["by_week"] = {}
    for week, timing in outcome.timing.items():
        doc["by_week"][week] = {**per_kind([s for s, w in zip(scores, outcome.weeks, strict=True) if w == week],
                                           outcome.week_copies),
                                "seconds": timing.total_s, "ingest_seconds": round(timing.ingest_s, 1),
                                "question_seconds": round(timing.questions_s, 1), "cached": timing.reused}
    return doc


def _runs(converted: Sequence[ConvertedWeek], limit: int | None, ids: list[str] | None) -> list[Run]:
    runs = []
    for week in converted:
        for name, corpus, gold in week.pairs:
            items = load_gold(gold)
            if limit is not None:  # at most `limit` of each kind, per week
                items = [i for kind in KIND_ORDER for i in [j for j in items if j.kind == kind][:limit]]
            runs.append(Run(week.week, name, corpus, items))
    if ids:
        known = {i.id for r in runs for i in r.items}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UserError(f"unknown question id {', '.join(unknown)} (not among the selected weeks' questions)")
        for run in runs:
            run.items = [i for i in run.items if i.id in set(ids)]
    return [r for r in runs if r.items]


def convert_all(source: Path, weeks: Sequence[str], home: Path, timing: dict[str, WeekTiming]) -> list[ConvertedWeek]:
    """Every week converted (or its cache reused) before anything is ingested."""
    clone = Source(source)
    checked = list(dict.fromkeys(check_week(w) for w in weeks))
    converted = []
    for week in checked:
        started = time.perf_counter()
        try:
            done = convert_week(clone, week, home)
        except MissingArticles as exc:
            if len(checked) == 1:
                raise
            _say(f"skipping week {week}: {exc}")
            continue
        converted.append(done)
        timing[week] = WeekTiming(convert_s=time.perf_counter() - started, reused=done.reused)
        m = done.manifest
        _say(f"week {week}: {m['questions']} questions, {m['articles']} articles "
             f"({'cached' if done.reused else 'converted'} in {done.folder}); "
             + ", ".join(f"{kind} {len(m['kinds'][kind])}" for kind in KIND_ORDER))
    if not converted:
        raise UserError("none of the weeks has its articles (a _gcs.jsonl file)")
    return converted


class Bar:
    """One progress bar for the whole run on a terminal's stderr; else a line per question and per ingest."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.total, self.done = total, 0
        console = Console(stderr=True)
        self.bar = (Progress(TextColumn("realtimeqa"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             TextColumn("{task.description}"), console=console, transient=True)
                    if console.is_terminal else None)
        self.task = self.bar.add_task("", total=total) if self.bar is not None else None

    def __enter__(self) -> Bar:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def note(self, text: str, line: bool = True) -> None:
        """Show what is under way; without a terminal, print it when `line`."""
        if self.bar is not None:
            self.bar.update(self.task, description=text)  # type: ignore[arg-type]
        elif line:
            _say(f"realtimeqa {text}")

    def question(self, offset: int) -> Callable[[int, int, str], None]:
        """The harness's progress callback for one run, its count continuing the run's."""
        def update(done: int, total: int, name: str) -> None:
            self.done = offset + done
            if self.bar is not None:
                self.bar.update(self.task, completed=self.done, description=name)  # type: ignore[arg-type]
            elif name:
                _say(f"realtimeqa [{self.done + 1}/{self.total}] {name}")

        return update


def _ingesting(bar: Bar, label: str) -> Callable[[int, int, str], None]:
    def update(done: int, total: int, name: str) -> None:
        bar.note(f"{label}: {'keyword index' if name == KEYWORD_INDEX_STEP else 'ingesting'} {done}/{total}", False)

    return update


def run_weeks(runs: Sequence[Run], timing: dict[str, WeekTiming], *, model: str | None, top_k: int | None,
              compare: str | None, judge: str | None) -> tuple[Outcome, dict[str, Any]]:
    """Ingest each run's corpus into its eval collection and ask its questions; models are loaded once."""
    from assistant.answer import open_session
    from assistant.config import load_settings
    from assistant.evals.cli import corpus_collection
    from assistant.evals.harness import TokenMeter, ask_ours, run_eval
    from assistant.evals.scoring import llm_judge, verifier_support
    from assistant.runtime import llm_for

    base = load_settings(model=model, top_k=top_k)
    llm = llm_for(base, base.model)
    judge_support = llm_judge(llm_for(base, judge)) if judge else None
    meter = TokenMeter()
    outcome = Outcome()
    setup: dict[str, Any] = {"collections": {}}
    systems_count = 2 if compare == "baseline" else 1
    with Bar(sum(len(r.items) for r in runs) * systems_count) as bar, meter:
        for index, run in enumerate(runs):
            settings = load_settings(model=model, top_k=top_k, collection=corpus_collection(run.corpus))
            setup["collections"][f"{run.week}/{run.name}"] = settings.collection
            session = open_session(settings, llm if index == 0 else None)  # the first also loads the LLM meanwhile
            started = time.perf_counter()
            bar.note(f"{run.week} {run.name}: ingesting")
            report = session.ingest([run.corpus], warn=_say, prune=True,  # our folder: what left it leaves the store
                                    progress=_ingesting(bar, f"{run.week} {run.name}"))
            timing[run.week].ingest_s += time.perf_counter() - started
            if report.ingested:
                _say(f"{run.week} {run.name}: {report.summary()}")
            engine = session.engine(llm=llm)
            setup.update(model=engine.model_name, top_k=settings.top_k)
            systems: dict[str, Any] = {"ours": lambda q, e=engine: ask_ours(e, q, None, meter)}
            if compare == "baseline":
                from assistant.evals.baseline import Baseline

                systems["baseline"] = Baseline(session.retriever, engine.llm, meter).ask
            started = time.perf_counter()
            result = run_eval(run.items, systems, verifier_support(engine.similarity), judge_support,
                              bar.question(bar.done))
            timing[run.week].questions_s += time.perf_counter() - started
            outcome.items += run.items
            outcome.week_copies.update((i.id, copy_of_the_week(run.corpus, i.sources, run.week))
                                       for i in run.items if i.kind == "conflict")
            outcome.weeks += [run.week] * len(run.items)
            for name, scores in result.scores.items():
                outcome.scores.setdefault(name, []).extend(scores)
    outcome.timing = timing
    return outcome, setup


def document(outcome: Outcome, meta: dict[str, Any]) -> dict[str, Any]:
    """The report.json document: the harness's totals and rows (each question with its week), and our figures."""
    from dataclasses import asdict

    return {
        "meta": meta,
        "totals": {system: totals(scores) for system, scores in outcome.scores.items()},
        "by_kind": {system: by_kind(scores) for system, scores in outcome.scores.items()},
        "realtimeqa": {system: summary(outcome, system) for system in outcome.scores},
        "questions": [{**asdict(item), "week": week,
                       "results": {s: asdict(scores[i]) for s, scores in outcome.scores.items()}}
                      for i, (item, week) in enumerate(zip(outcome.items, outcome.weeks, strict=True))],
    }


def run_realtimeqa(*, source: Path, weeks: Sequence[str], report: Path, compare: str | None, model: str | None,
                   top_k: int | None, judge: str | None, limit: int | None, ids: str | None, as_json: bool,
                   floors: dict[str, float | None]) -> int:
    """The whole command; returns its exit code (0, or 3 when a floor on the pooled totals is missed)."""
    from assistant.config import data_home
    from assistant.evals.reports import write_reports
    from assistant.evals.reports_rtqa import print_figures
    from assistant.evals.scoring import check_floors

    if compare not in (None, "baseline"):
        raise UserError(f"unknown --compare {compare!r}: the one baseline is 'baseline'")
    timing: dict[str, WeekTiming] = {}
    converted = convert_all(source, weeks, data_home(), timing)
    runs = _runs(converted, limit, [i.strip() for i in ids.split(",") if i.strip()] if ids else None)
    if not runs:
        raise UserError("no questions selected")
    seeds = {"unanswerable": UNANSWERABLE_SEED, "conflict": CONFLICT_SEED}
    _say(f"seeds: unanswerable {UNANSWERABLE_SEED}, conflict {CONFLICT_SEED} (each week draws from "
         f"Random('<seed>:<week>'); share {SAMPLE_SHARE})")
    started = time.perf_counter()
    outcome, setup = run_weeks(runs, timing, model=model, top_k=top_k, compare=compare, judge=judge)
    meta = {"dataset": "realtimeqa", "source": str(source), "weeks": ", ".join(c.week for c in converted),
            "seeds": seeds, **setup, "systems": ", ".join(outcome.scores), "judge": judge or "none",
            "questions": len(outcome.items), "duration_s": round(time.perf_counter() - started, 1),
            "week_seconds": {w: t.total_s for w, t in timing.items()},
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017
            "floors": {k: v for k, v in floors.items() if v is not None}}
    doc = document(outcome, meta)
    paths = write_reports(doc, report)
    print_figures(doc, as_json)
    failures, skipped = check_floors(doc["totals"]["ours"], floors)
    for note in skipped:
        _say(f"note: {note}")
    _say(f"report: {paths[2]} (and report.json, report.md)")
    if as_json:
        out = {"dataset": "realtimeqa", "weeks": [c.week for c in converted], "seeds": seeds,
               **doc["realtimeqa"]["ours"]}
        if "baseline" in doc["realtimeqa"]:
            out["baseline"] = doc["realtimeqa"]["baseline"]
        print(json.dumps(out, ensure_ascii=False))
    for failure in failures:
        _say(f"below floor: {failure}")
    return 3 if failures else 0
