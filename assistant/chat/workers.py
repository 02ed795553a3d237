"""The chat's slow work, run on worker threads so that the screen stays live: opening the store and loading a
model, answering, ingesting. Each reports back with messages, posted from its thread and handled on the app's event
loop; the app is read only through `Host`, at the moment the work needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from textual.message import Message

from assistant.answer import Answer
from assistant.chat.backend import ChatBackend, EngineLike
from assistant.chat.followup import Exchange, llm_rewrite
from assistant.chat.widgets import AnswerTurn, UserTurn
from assistant.errors import UserError


class Notice(Message):
    """A line to show as a notification (a warning of an ingest, a model switched)."""

    def __init__(self, text: str, severity: str = "information") -> None:
        super().__init__()
        self.text = text
        self.severity = severity


class IngestProgress(Message):
    """`done` of `total` files ingested, or articles indexed (`name`: what is at work)."""

    def __init__(self, done: int, total: int, name: str) -> None:
        super().__init__()
        self.done, self.total, self.name = done, total, name


class EngineReady(Message):
    """The store is open and a model loaded (`engine`), or why not (`error`)."""

    def __init__(self, engine: EngineLike | None, error: str = "", articles: int = 0) -> None:
        super().__init__()
        self.engine, self.error, self.articles = engine, error, articles


class DraftToken(Message):
    """A piece of the unverified draft of reply `ask_id`."""

    def __init__(self, ask_id: int, delta: str) -> None:
        super().__init__()
        self.ask_id, self.delta = ask_id, delta


class Rewritten(Message):
    """The model rewrote the follow-up question of reply `ask_id` as `standalone`."""

    def __init__(self, ask_id: int, standalone: str) -> None:
        super().__init__()
        self.ask_id, self.standalone = ask_id, standalone


class AskDone(Message):
    """Reply `ask_id` is verified (`answer`) or failed (`error`)."""

    def __init__(self, ask_id: int, answer: Answer | None, error: str = "") -> None:
        super().__init__()
        self.ask_id, self.answer, self.error = ask_id, answer, error


class IngestDone(Message):
    """An ingest ended: its summary, or its error."""

    def __init__(self, summary: str, error: str = "", articles: int = 0) -> None:
        super().__init__()
        self.summary, self.error, self.articles = summary, error, articles


class Cancelled(Exception):
    """Raised from the token callback to stop generation when the user pressed Esc."""


@dataclass
class PendingAsk:
    """The reply being written."""

    ask_id: int
    question: str
    standalone: str
    user: UserTurn
    turn: AnswerTurn
    cancel: threading.Event
    started: float


class Host(Protocol):
    """What the work reads of the app (`ChatApp`)."""

    backend: ChatBackend
    engine: EngineLike | None
    lenient: bool

    def post_message(self, message: Message) -> bool: ...


def _notice(host: Host) -> Callable[[str], None]:
    def notice(text: str) -> None:
        host.post_message(Notice(text))

    return notice


def _progress(host: Host) -> Callable[[int, int, str], None]:
    def progress(done: int, total: int, name: str) -> None:
        host.post_message(IngestProgress(done, total, name))

    return progress


def start(host: Host, model: str | None) -> None:
    """Open the store (ingesting the bundled articles into an empty one) and load `model`."""
    try:
        host.backend.open(_notice(host), _progress(host))
        engine = host.backend.engine(model)
        host.post_message(EngineReady(engine, articles=host.backend.article_count()))
    except UserError as exc:
        host.post_message(EngineReady(None, str(exc)))
    except Exception as exc:  # shown in the app, never a traceback over the screen
        host.post_message(EngineReady(None, f"{type(exc).__name__}: {exc}"))


def answer(host: Host, engine: EngineLike, pending: PendingAsk, history: list[Exchange], use_llm: bool) -> None:
    """Answer `pending`'s question, rewritten by the LLM first when `use_llm` and it follows up on `history` (the
    earlier questions and their answers); the draft streams as `DraftToken`s until `pending.cancel` is set."""
    standalone = pending.standalone
    if use_llm and history:
        standalone = llm_rewrite(getattr(engine, "llm", None), pending.question, history)
        if standalone != pending.standalone:
            host.post_message(Rewritten(pending.ask_id, standalone))

    def on_token(delta: str) -> None:
        if pending.cancel.is_set():
            raise Cancelled()
        host.post_message(DraftToken(pending.ask_id, delta))

    try:
        reply = engine.ask(standalone, lenient=host.lenient, on_token=on_token)
    except Cancelled:
        return
    except UserError as exc:
        host.post_message(AskDone(pending.ask_id, None, str(exc)))
    except Exception as exc:
        host.post_message(AskDone(pending.ask_id, None, f"{type(exc).__name__}: {exc}"))
    else:
        host.post_message(AskDone(pending.ask_id, reply))


def load_model(host: Host, name: str) -> None:
    """Switch to model `name`; if it cannot be loaded, say why and go on with the model in use."""
    try:
        engine = host.backend.engine(name)
    except Exception as exc:
        host.post_message(Notice(f"Cannot use model {name}: {exc}", "error"))
        host.post_message(EngineReady(host.engine))
        return
    host.post_message(Notice(f"Now answering with {engine.model_name}"))
    host.post_message(EngineReady(engine))


def ingest(host: Host, path: Path) -> None:
    """Ingest the articles under `path`, with progress."""
    try:
        summary = host.backend.ingest([path], _notice(host), _progress(host))
        host.post_message(IngestDone(summary, articles=host.backend.article_count()))
    except Exception as exc:
        host.post_message(IngestDone("", str(exc)))
