"""`assistant eval`: score the engine (and optionally LlamaIndex's CitationQueryEngine) against a gold set, or
against RealTime QA weeks (`--dataset realtimeqa`, run by `assistant.evals.realtimeqa_run`).

Only light imports here: `assistant --help` must stay fast. The work is in `gold` (gold sets), `answers` and
`scoring` (the metrics), `harness` (running systems), `baseline`, `reports` and the `realtimeqa*` modules.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.errors import UserError

EXIT_BELOW_FLOOR = 3

def _floor(name: str, what: str) -> Any:
    return typer.Option(name, min=0.0, max=1.0, help=f"Fail (exit {EXIT_BELOW_FLOOR}) when our {what} is below this.")


def eval_command(
    gold: Annotated[Path | None, typer.Option(
        "--gold", help="Gold set (JSONL). Default: the project's set on seeds/.")] = None,
    corpus: Annotated[Path | None, typer.Option(
        "--corpus", help="Articles folder to evaluate on, ingested into a separate eval collection.")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Folder for report.json, report.md, report.html. Default: <data folder>/eval-report.")] = None,
    compare: Annotated[str | None, typer.Option(
        "--compare", help="Also run 'baseline': LlamaIndex's CitationQueryEngine, same store, retriever, LLM.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="The answering model (as for `ask`).")] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=50, help="Passages to retrieve.")] = None,
    judge: Annotated[str | None, typer.Option(
        "--judge", help="Also score citations with this OpenAI-compatible model as an LLM judge.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, help="Run only the first N questions (realtimeqa: N of each kind per week).")] = None,
    ids: Annotated[str | None, typer.Option("--ids", help="Run only these question ids (comma-separated).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the totals as JSON on stdout (and nothing else).")] = False,
    min_accuracy: Annotated[float | None, _floor("--min-accuracy", "answer accuracy")] = None,
    min_abstention: Annotated[float | None, _floor("--min-abstention", "abstention accuracy")] = None,
    min_precision: Annotated[float | None, _floor("--min-precision", "precision (right/attempted)")] = None,
    min_citation_recall: Annotated[float | None, _floor("--min-citation-recall", "citation recall")] = None,
    min_citation_precision: Annotated[float | None, _floor("--min-citation-precision", "citation precision")] = None,
    min_verbatim: Annotated[float | None, _floor("--min-verbatim", "verbatim rate")] = None,
    min_retrieval_recall: Annotated[float | None, _floor("--min-retrieval-recall", "retrieval recall@k")] = None,
    min_conflict: Annotated[float | None, _floor("--min-conflict", "conflict surfacing")] = None,
    dataset: Annotated[str, typer.Option(
        "--dataset", help="'gold' (a gold set) or 'realtimeqa' (RealTime QA weeks, see --source).")] = "gold",
    source: Annotated[Path | None, typer.Option(
        "--source", help="With --dataset realtimeqa: a clone of github.com/realtimeqa/realtimeqa_public.")] = None,
    week: Annotated[list[str] | None, typer.Option(
        "--week", help="With --dataset realtimeqa: a week, YYYYMMDD (repeat it for several).")] = None,
    weeks: Annotated[str | None, typer.Option(
        "--weeks", help="With --dataset realtimeqa: several weeks, comma-separated.")] = None,
) -> None:
    """Measure answer accuracy, citation grounding, abstention and conflicts against a gold set or RealTime QA weeks."""
    floors = {
        "answer_accuracy": min_accuracy, "abstention_accuracy": min_abstention, "precision": min_precision,
        "citation_recall": min_citation_recall, "citation_precision": min_citation_precision,
        "verbatim_rate": min_verbatim, "retrieval_recall": min_retrieval_recall, "conflict_surfacing": min_conflict,
    }
    if report is None:  # nothing is written to the current folder unless asked
        from assistant.config import data_home

        report = data_home() / "eval-report"
    chosen_weeks = [*(week or []), *(w for w in (weeks or "").split(",") if w.strip())]
    if dataset == "realtimeqa":
        from assistant.evals.realtimeqa_run import run_realtimeqa

        _check_realtimeqa(gold, corpus, source, chosen_weeks)
        assert source is not None
        code = run_realtimeqa(source=source, weeks=chosen_weeks, report=report, compare=compare, model=model,
                              top_k=top_k, judge=judge, limit=limit, ids=ids, as_json=as_json, floors=floors)
        if code:
            sys.stdout.flush()
            raise typer.Exit(code)
        return
    if dataset != "gold":
        raise UserError(f"unknown --dataset {dataset!r}: 'gold' or 'realtimeqa'")
    if source is not None or chosen_weeks:
        raise UserError("--source, --week and --weeks are for --dataset realtimeqa")
    code = run_from_cli(gold=gold, corpus=corpus, report=report, compare=compare, model=model, top_k=top_k,
                        judge=judge, limit=limit, ids=ids, as_json=as_json, floors=floors)
    if code:
        sys.stdout.flush()
        raise typer.Exit(code)


def _check_realtimeqa(gold: Path | None, corpus: Path | None, source: Path | None, weeks: list[str]) -> None:
    if gold is not None or corpus is not None:
        raise UserError("--gold and --corpus are not used with --dataset realtimeqa: the weeks make their own")
    if source is None:
        raise UserError("--dataset realtimeqa needs --source DIR, a clone of "
                        "https://github.com/realtimeqa/realtimeqa_public")
    if not weeks:
        raise UserError("--dataset realtimeqa needs --week YYYYMMDD (or --weeks a,b,c)")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress(label: str) -> tuple[Any, Any]:
    """(bar, callback): a rich bar on stderr when it is a terminal, else a line per question."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        def line(done: int, total: int, name: str) -> None:
            if name:
                _say(f"{label} [{done + 1}/{total}] {name}")

        return None, line
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=console, transient=True)
    task = bar.add_task("", total=None)

    def update(done: int, total: int, name: str) -> None:
        bar.update(task, completed=done, total=total, description=name)

    return bar, update


def corpus_collection(corpus: Path) -> str:
    """The collection an eval corpus is ingested into: never the user's main one."""
    return "eval_" + hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:10]


def run_from_cli(*, gold: Path | None, corpus: Path | None, report: Path, compare: str | None, model: str | None,
                 top_k: int | None, judge: str | None, limit: int | None, ids: str | None, as_json: bool,
                 floors: dict[str, float | None]) -> int:
    """Run the eval as `assistant eval` does; returns the exit code (0, or 3 when a floor is not met)."""
    import json
    import time
    from datetime import datetime, timezone

    from assistant.config import load_settings
    from assistant.evals.gold import default_gold_path, load_gold, select
    from assistant.evals.harness import TokenMeter, ask_ours, run_eval
    from assistant.evals.scoring import check_floors, llm_judge, verifier_support
    from assistant.resources import bundled_seeds

    if compare not in (None, "baseline"):
        raise UserError(f"unknown --compare {compare!r}: the one baseline is 'baseline'")
    if gold is None and corpus is None:
        corpus = bundled_seeds()
    gold_path = gold or default_gold_path()
    items = select(load_gold(gold_path), ids.split(",") if ids else None, limit)
    if not items:
        raise UserError("no questions selected")
    if corpus is not None and not corpus.is_dir():
        raise UserError(f"no such corpus folder: {corpus}")

    from assistant.answer import open_session

    collection = corpus_collection(corpus) if corpus is not None else None
    settings = load_settings(model=model, top_k=top_k, collection=collection)
    session = open_session(settings)
    if corpus is not None:
        _ingest(session, corpus)
    elif session.store.is_empty():
        raise UserError("the store is empty: ingest the articles the gold set is about, or pass --corpus FOLDER")
    else:  # now rather than within the first question's latency
        session.index_keywords()
    _check_sources(session, items)

    engine = session.engine(settings.model)
    meter = TokenMeter()
    systems: dict[str, Any] = {"ours": lambda q: ask_ours(engine, q, None, meter)}
    if compare == "baseline":
        from assistant.evals.baseline import Baseline

        systems["baseline"] = Baseline(session.retriever, engine.llm, meter).ask
    judge_support = None
    if judge:
        from assistant.runtime import llm_for

        judge_support = llm_judge(llm_for(settings, judge))

    meta = {
        "gold": str(gold_path), "corpus": str(corpus) if corpus else f"store '{settings.collection}'",
        "collection": settings.collection, "model": engine.model_name, "top_k": settings.top_k,
        "systems": ", ".join(systems), "judge": judge or "none", "questions": len(items),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017
    }
    bar, update = _progress("eval")
    started = time.perf_counter()
    try:
        if bar is not None:
            bar.start()
        with meter:
            result = run_eval(items, systems, verifier_support(engine.similarity), judge_support, update, meta)
    finally:
        if bar is not None:
            bar.stop()
    result.meta["duration_s"] = round(time.perf_counter() - started, 1)
    document = result.to_json()
    document["meta"]["floors"] = {k: v for k, v in floors.items() if v is not None}

    from assistant.evals.reports import print_tables, write_reports

    paths = write_reports(document, report)
    from rich.console import Console

    console = Console(stderr=as_json, width=None if sys.stdout.isatty() else 160)
    print_tables(document, console)
    failures, skipped = check_floors(document["totals"]["ours"], floors)
    for note in skipped:
        _say(f"note: {note}")
    _say(f"report: {paths[2]} (and report.json, report.md)")
    if as_json:
        print(json.dumps(document["totals"], ensure_ascii=False))
    for failure in failures:
        _say(f"below floor: {failure}")
    return EXIT_BELOW_FLOOR if failures else 0


def _ingest(session: Any, corpus: Path) -> None:
    bar, update = _progress("ingesting")
    try:
        if bar is not None:
            bar.start()
        report = session.ingest([corpus], warn=_say,
                                progress=update if bar is not None else (lambda done, total, name: None))
    finally:
        if bar is not None:
            bar.stop()
    if report.ingested:
        _say(f"eval corpus {corpus}: {report.summary()}")


def _check_sources(session: Any, items: Any) -> None:
    """Warn about gold sources that are not among the stored articles (a typo, or the wrong corpus)."""
    from assistant.evals.answers import source_matches

    try:
        stored = [a.source for a in session.store.list_articles()]
    except Exception:  # a store without a listing is still usable for the eval
        return
    missing = sorted({g for item in items for g in item.sources if not any(source_matches(s, g) for s in stored)})
    if missing:
        _say(f"warning: gold sources not in the store: {', '.join(missing)}")
