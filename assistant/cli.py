"""The `assistant` command: ingest, ask, sources, config (and chat, serve, eval). Heavy imports stay inside
commands."""

from __future__ import annotations

import atexit
import gc
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.errors import UserError
from assistant.limits import MAX_QUESTION_TOKENS  # noqa: F401 (where the tests read the limit)

if TYPE_CHECKING:
    from assistant.answer import Answer, Session
    from assistant.config import Settings

app = typer.Typer(
    help="Answers questions about a folder of news articles, citing the articles for every sentence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

ChromaUrl = Annotated[
    str | None, typer.Option("--chroma-url", help="Use a Chroma server (http://host:port) instead of the local store.")
]
ServerOption = Annotated[
    str | None, typer.Option("--server", help="Use a running `assistant serve` (http://host:port) instead of loading "
                             "the models here (ASSISTANT_API_TOKEN is sent when set).")
]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="smollm2 (embedded), a .gguf file, or a model on the OpenAI/compatible server."),
]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` safe for a terminal: control characters (ANSI escapes, C1 codes) shown as `\\xNN`, not obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def warn(message: str) -> None:
    """A line for the user on stderr (control characters from file names or articles are shown, not obeyed)."""
    print(printable(_redact(message)), file=sys.stderr, flush=True)


def _redact(text: str) -> str:
    """`text` with the API key and the service's token, wherever they came from, replaced by `***`."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def _secrets() -> list[str]:
    found = {os.environ.get(name, "").strip() for name in ("OPENAI_API_KEY", "ASSISTANT_API_TOKEN")}
    try:
        from assistant.config import Settings

        settings = Settings()  # also a key or token that only `.env` holds
        found.update(k.get_secret_value().strip() for k in (settings.openai_api_key, settings.api_token) if k)
    except Exception:  # invalid settings: the environment's value is all there is
        pass
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)


def _settings(**overrides: Any) -> Settings:
    from assistant.config import load_settings

    return load_settings(**overrides)


def _progress_printer(label: str) -> Any:
    """A progress callback drawing a bar on stderr (only when stderr is a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return None, lambda done, total, name: None
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                   console=console, transient=True)
    task = bar.add_task("", total=None)

    def update(done: int, total: int, name: str) -> None:
        bar.update(task, completed=done, total=total, description=name)

    return bar, update


def run_ingest(session: Session, paths: list[Path], prune: bool = False) -> Any:
    """Ingest with a progress bar and one warning line per skipped file; returns the report."""
    bar, update = _progress_printer("ingesting")
    try:
        if bar is not None:
            bar.start()
        return session.ingest(paths, warn=warn, progress=update, prune=prune)
    finally:
        if bar is not None:
            bar.stop()


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Article files or folders (.txt, .md, .html).")],
    prune: Annotated[bool, typer.Option("--prune", help="Remove stored articles whose files are gone.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    chroma_url: ChromaUrl = None,
) -> None:
    """Add articles to the store (unchanged files are skipped, changed ones replaced)."""
    from assistant.answer import open_session

    session = open_session(_settings(chroma_url=chroma_url))
    report = run_ingest(session, paths, prune=prune)
    if as_json:
        print(json.dumps({"ingested": report.ingested, "unchanged": report.unchanged,
                          "skipped": [{"source": s, "reason": r} for s, r in report.skipped],
                          "removed": report.removed, "chunks": report.chunks,
                          "moved": [{"from": old, "to": new} for old, new in report.moved]}))
    else:
        warn(report.summary())


def _read_question(question: str, count_pieces: bool = True) -> str:
    """The question from the argument or stdin, undecodable bytes replaced, cleaned as the service cleans it
    (`assistant.serve.clean_question`: refused rather than cut when too long, so that nothing asked is dropped)."""
    if question == "-":
        question = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    else:  # arguments that are not UTF-8 arrive as lone surrogates, which cannot be printed or sent
        question = question.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    from assistant.serve import clean_question

    return str(clean_question(question, count_pieces))


INDEXING_NOTICE_ARTICLES = 500  # about a third of a second to index: worth a line on why the answer waits


def _indexing_notice(done: int, total: int) -> None:
    """The line `ask` prints when its question must first index many articles for keyword search (ingested by
    an interrupted run, another machine or an earlier version, or a data folder moved: `ingest` does it itself)."""
    if done == 0 and total >= INDEXING_NOTICE_ARTICLES:
        warn(f"Updating the keyword index: {total:,} articles to index first.")


def ensure_articles(session: Session) -> None:
    """Ingest the bundled seeds when the store is empty, or holds them only under files that are gone (another copy
    of the package, since removed), saying so on stderr."""
    from assistant.corpus import seeds_due

    due = seeds_due(session.store)
    if due is None:
        return
    seeds, notice = due
    warn(notice)
    report = run_ingest(session, [seeds])
    warn(report.summary())


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question (about 1,000 characters at most), or - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout (see README).")] = False,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=50, help="Passages to retrieve.")] = None,
    model: ModelOption = None,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Do not show the draft while it is written.")] = False,
    lenient: Annotated[bool, typer.Option("--lenient", help="Keep unsupported sentences, marked as such.")] = False,
    chroma_url: ChromaUrl = None,
    server: ServerOption = None,
) -> None:
    """Answer a question from the stored articles, with a verified quote for every sentence."""
    if server:
        _ask_server(server, question, as_json, top_k, not no_stream and not as_json and sys.stderr.isatty(),
                    lenient, model or chroma_url)
        return
    from assistant.runtime import llm_for, start_loading

    with _collector_paused_while_starting() as started:
        text = _read_question(question)
        settings = _settings(chroma_url=chroma_url, model=model, top_k=top_k)
        llm = llm_for(settings, settings.model)  # a bad model name fails before anything is opened or ingested
        loading = start_loading(settings, llm)  # the models load on helper threads while the engine is imported
        from assistant.answer import open_session

        session = open_session(settings, llm, loading)
        session.retriever.on_indexing = _indexing_notice
        engine = session.engine(llm=llm)
        started()
        ensure_articles(session)
        stream = not no_stream and not as_json and sys.stderr.isatty()
        lenient = lenient or settings.lenient
        answer = (_with_draft(lambda on_token: engine.ask(text, top_k=top_k, lenient=lenient, on_token=on_token))
                  if stream else engine.ask(text, top_k=top_k, lenient=lenient)).to_json()
        print(json.dumps(answer, ensure_ascii=False) if as_json else format_answer(answer))


def _ask_server(url: str, question: str, as_json: bool, top_k: int | None, stream: bool, lenient: bool,
                local_option: str | None) -> None:
    """`ask --server`: the same output from a running service, which cleans and checks the question too."""
    if local_option:
        raise UserError("--model and --chroma-url are the service's own with --server: set them on `assistant serve`")
    from assistant.serve import ServiceClient

    text = _read_question(question, count_pieces=False)
    token = _settings().api_token
    client = ServiceClient(url, token.get_secret_value() if token else None)
    answer = (_with_draft(lambda on_token: client.ask(text, top_k, lenient, on_token=on_token)) if stream
              else client.ask(text, top_k, lenient))
    print(json.dumps(answer, ensure_ascii=False) if as_json else format_answer(answer))


@contextmanager
def _collector_paused_while_starting() -> Iterator[Callable[[], None]]:
    """Starting `ask` makes ~70,000 objects that live to its end (modules, Chroma's client, the models), over
    which Python's collector otherwise runs ~80 collections as they are made (0.1-0.2 s on 2 slow cores). None
    runs until the caller calls the function it is given; what exists then stays frozen (skipped by collections)
    to the end of the block."""
    enabled = gc.isenabled()
    gc.disable()

    def started() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield started
    finally:
        if not gc.isenabled() and enabled:
            gc.enable()
        gc.unfreeze()  # the frozen objects are collectable again, for callers that go on (tests, in one process)


def _with_draft(run: Callable[[Callable[[str], None]], Any]) -> Any:
    """`run(on_token)`, showing the unverified draft on stderr while the model writes it, then clearing it."""
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    console = Console(stderr=True)
    draft = Text("", style="dim")
    with Live(draft, console=console, transient=True, refresh_per_second=12) as live:
        live.update(Text("retrieving…", style="dim"))

        def on_token(delta: str) -> None:
            draft.append(printable(delta))
            live.update(Text.assemble(Text("draft (checking citations…) ", style="dim italic"), draft))

        return run(on_token)


def format_answer(answer: dict[str, Any] | Answer) -> str:
    """The answer (or its `ask --json` object) followed by its numbered quotes, for a terminal."""
    answer = answer if isinstance(answer, dict) else answer.to_json()
    lines = [printable(answer["answer"])]
    if answer["citations"]:
        lines.append("")
    for c in answer["citations"]:
        lines.append(printable(f"[{c['n']}] {Path(c['source']).name} ({c['start']}-{c['end']}): \"{c['quote']}\""))
    return "\n".join(lines)


@app.command()
def sources(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    chroma_url: ChromaUrl = None,
) -> None:
    """List the stored articles."""
    from assistant.config import load_settings
    from assistant.corpus import open_store
    from assistant.runtime import embedding_name

    settings = load_settings(chroma_url=chroma_url)
    articles = open_store(settings, embedding_name(settings)).list_articles()
    if as_json:
        print(json.dumps([{"source": a.source, "title": a.title, "chunks": a.chunks, **a.metadata} for a in articles]))
        return
    if not articles:
        warn("No articles stored yet: run `assistant ingest FOLDER`.")
    for a in articles:
        print(printable(f"{Path(a.source).name}\t{a.chunks} chunk{'' if a.chunks == 1 else 's'}\t{a.title}"))


@app.command()
def config(as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False) -> None:
    """Show the effective settings and where data lives (the API key is never shown)."""
    view = _settings().public_view()
    if as_json:
        print(json.dumps(view))
        return
    for key, value in view.items():
        print(f"{key}: {value}")


@app.command()
def chat(
    model: ModelOption = None,
    lenient: Annotated[bool, typer.Option("--lenient", help="Keep unsupported sentences, marked as such.")] = False,
    chroma_url: ChromaUrl = None,
    server: ServerOption = None,
) -> None:
    """Open the terminal chat over the stored articles."""
    from assistant.chat import run_chat

    if server and (model or chroma_url):
        raise UserError("--model and --chroma-url are the service's own with --server: set them on `assistant serve`")
    run_chat(_settings(chroma_url=chroma_url, model=model, lenient=lenient or None), server=server)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (other than loopback needs "
                                                     "ASSISTANT_API_TOKEN).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8080,
    model: ModelOption = None,
    chroma_url: ChromaUrl = None,
) -> None:
    """Serve the HTTP API (docs at /docs): models loaded once, questions from many clients."""
    from assistant.serve import run_server

    run_server(_settings(chroma_url=chroma_url, model=model), host, port)


def _register_eval() -> None:
    try:
        from assistant.evals import eval_command
    except ImportError:  # the eval harness is optional at import time
        return
    app.command("eval")(eval_command)


_register_eval()


def main() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit code."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # Python's last garbage collections at exit walk every object still alive (0.3-0.4 s after `ask`: Chroma,
    # pydantic and numpy leave ~70,000) only for the OS to free them all anyway. Frozen objects are skipped;
    # the atexit handlers registered later run first, and finalizers of objects freed by refcount still run.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    try:
        code = app(args=sys.argv[1:] or ["--help"], prog_name="assistant", standalone_mode=False)
        if isinstance(code, int) and code:  # `typer.Exit(code)` is returned, not raised, in this mode
            sys.exit(code)
    except typer.TyperException as exc:  # a usage mistake: one line with a hint, as every other error
        warn(f"error: {usage_message(exc)}")
        sys.exit(1)
    except typer.Abort:  # Ctrl-C or end of input while a command read its arguments
        warn("interrupted")
        sys.exit(130)
    except UserError as exc:
        warn(f"error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        warn("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as exc:  # the last line of defence: never a traceback for users
        if os.environ.get("ASSISTANT_DEBUG"):  # the traceback, with the API key blanked out
            import traceback

            print(_redact(traceback.format_exc()), file=sys.stderr, flush=True)
            sys.exit(1)
        from assistant.runtime import translate_llm_error

        translated = translate_llm_error(exc)
        if not isinstance(translated, UserError):
            translated = store_error(exc) or translated
        message = str(translated) if isinstance(translated, UserError) else f"unexpected {type(exc).__name__}: {exc}"
        warn(f"error: {message.splitlines()[0] if message else type(exc).__name__}")
        sys.exit(1)


def usage_message(exc: typer.TyperException) -> str:
    """Typer's (click's) message for a usage mistake as one line: `missing argument 'question' (try `assistant
    ask --help`)`, instead of its usage box and exit code 2."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    message = message[:1].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)  # usage errors carry the command they are about
    command = ctx.command_path if ctx is not None else "assistant"
    return f"{message} (try `{command} --help`)"


def store_error(exc: BaseException) -> UserError | None:
    """A clear message when a Chroma server went away in the middle of a command, else None."""
    from assistant.serve import store_error as lost_chroma  # the service answers such a failure with a 503

    return lost_chroma(exc)


if __name__ == "__main__":
    main()
