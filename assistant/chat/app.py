"""`assistant chat`: a Textual app for reading the news with sources.

The app talks to a `ChatBackend` (`assistant.chat.backend`) and keeps conversations in SQLite
(`assistant.chat.conversations`). Slow work (opening the store, loading models, answering, ingesting) runs in
worker threads that report back with messages (`assistant.chat.messages`). The main screen's areas are in
`widgets`, the dialogs over it in `screens`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from assistant.answer import Answer
from assistant.chat import workers
from assistant.chat.backend import ChatBackend, EngineLike, RemoteBackend, SessionBackend
from assistant.chat.conversations import Conversation, ConversationStore, answer_record
from assistant.chat.followup import Exchange, rewrite
from assistant.chat.screens import ConversationsScreen, HelpScreen, PromptScreen
from assistant.chat.widgets import AnswerTurn, ChatLog, IngestBar, SourcesPanel, StatusLine
from assistant.chat.workers import (
    AskDone,
    DraftToken,
    EngineReady,
    IngestDone,
    IngestProgress,
    Notice,
    PendingAsk,
    Rewritten,
)
from assistant.config import Settings

WELCOME = (
    "Ask a question about the news articles and press Enter. Every sentence of the answer cites the articles; "
    "the sources panel shows each quote in its article.\n\n"
    "Try: How many of the prime minister's guards were injured?    Then a follow-up: and who condemned it?\n\n"
    "F1 keys · Ctrl+P commands · F3 saved conversations"
)


# The app ---------------------------------------------------------------------------------------

class ChatApp(App[None]):
    """Chat over the stored news articles, with verified citations."""

    CSS_PATH = "app.tcss"
    TITLE = "assistant"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel reply"),
        Binding("f1", "help", "Help"),
        Binding("f2", "toggle_sources", "Sources"),
        Binding("f3,ctrl+o", "conversations", "Chats"),
        Binding("ctrl+n", "new_chat", "New chat"),
        Binding("ctrl+l", "toggle_lenient", "Lenient"),
        # Textual binds it too, but hidden: shown here so that a first run sees how to leave.
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, settings: Settings, backend: ChatBackend | None = None,
                 store: ConversationStore | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.backend: ChatBackend = backend or SessionBackend(settings)
        self.store = store or ConversationStore.in_home(settings.home)
        self.engine: EngineLike | None = None
        self.model_name = settings.effective_model
        self.lenient = settings.lenient
        self.articles = 0
        self.conversation: Conversation | None = None
        self.history: list[Exchange] = []  # the earlier questions, as searched, with their answers
        self.pending: PendingAsk | None = None
        self.ingesting = False
        self._ask_id = 0
        self.first_token_s: list[float] = []

    # Layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="❝")
        with Horizontal(id="main"):
            yield ChatLog(WELCOME, id="chat")
            yield SourcesPanel(self._article_text, id="sources")
        yield IngestBar(id="ingest")
        yield StatusLine(id="status")
        yield Input(placeholder="Loading the articles and the models…", id="prompt", disabled=True,
                    select_on_focus=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "New chat"
        self.query_one(SourcesPanel).show(None)
        self._update_status("loading…")
        self.run_worker(partial(workers.start, self, self.settings.model), thread=True, group="startup",
                        exit_on_error=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P)."""
        yield SystemCommand("New chat", "Start a new conversation (Ctrl+N)", self.action_new_chat)
        yield SystemCommand("Open conversation", "Reopen, rename, delete or export a saved chat (F3)",
                            self.action_conversations)
        yield SystemCommand("Rename conversation", "Give the current conversation a title", self.action_rename)
        yield SystemCommand("Export conversation", "Save the current conversation as Markdown with its citations",
                            self.action_export)
        yield SystemCommand("Switch model", f"Answer with another model (now {self.model_name})",
                            self.action_switch_model)
        yield SystemCommand("Ingest a folder", "Add the articles of a folder to the store", self.action_ingest)
        yield SystemCommand("Show sources", "Show or hide the sources panel (F2)", self.action_toggle_sources)
        yield SystemCommand("Toggle lenient mode", "Keep unsupported sentences, marked as such (Ctrl+L)",
                            self.action_toggle_lenient)
        yield SystemCommand("Help", "The keys (F1)", self.action_help)
        for command in super().get_system_commands(screen):
            if command.title in ("Theme", "Quit", "Keys"):
                yield command

    def on_key(self, event: events.Key) -> None:
        """Typing anywhere on the main screen goes to the question box."""
        prompt = self.query_one("#prompt", Input)
        if (event.is_printable and event.character and self.screen is self.screen_stack[0]
                and not isinstance(self.focused, Input) and not prompt.disabled):
            prompt.focus()
            prompt.insert_text_at_cursor(event.character)
            event.stop()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.pending is not None
        return True

    # Status ----------------------------------------------------------------------------------

    def _update_status(self, state: str = "") -> None:
        self.query_one(StatusLine).show(self.model_name, self.settings.provider, self.lenient, self.articles, state)
        self.sub_title = f"{self.model_name} · {'lenient' if self.lenient else 'strict'}"

    def _lock_input(self, reason: str | None) -> None:
        prompt = self.query_one("#prompt", Input)
        prompt.disabled = reason is not None
        prompt.placeholder = reason or "Ask about the articles, then press Enter (F1 help · Ctrl+P commands)"
        if reason is None:
            prompt.focus()
        self.refresh_bindings()

    # What the workers report ------------------------------------------------------------------

    def on_engine_ready(self, message: EngineReady) -> None:
        self.query_one("#ingest").remove_class("active")
        if message.engine is None:
            self._update_status("not ready")
            self.notify(message.error, title="Cannot start", severity="error", timeout=30, markup=False)
            self.query_one("#prompt", Input).placeholder = f"Not ready: {message.error}"
            return
        self.engine = message.engine
        self.model_name = message.engine.model_name
        if message.articles:
            self.articles = message.articles
        self._update_status()
        if self.pending is None and not self.ingesting:
            self._lock_input(None)

    def on_notice(self, message: Notice) -> None:
        severity: SeverityLevel = "error" if message.severity == "error" else "information"
        self.notify(message.text, markup=False, timeout=8, severity=severity)

    def on_ingest_progress(self, message: IngestProgress) -> None:
        self.query_one(IngestBar).show(message.done, message.total, message.name)

    # Asking ----------------------------------------------------------------------------------

    @on(Input.Submitted, "#prompt")
    async def _submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question or self.pending is not None or self.ingesting:
            return
        if self.engine is None:
            self.notify("Still loading the models…", markup=False)
            return
        event.input.value = ""
        await self.ask(question)

    async def ask(self, question: str) -> None:
        """Ask `question` (rewritten against the conversation when it is a follow-up) in a worker thread."""
        assert self.engine is not None
        standalone = rewrite(question, self.history)
        self._ask_id += 1
        user, turn = await self.query_one(ChatLog).add_exchange(question, standalone, self.engine.model_name)
        self.pending = PendingAsk(self._ask_id, question, standalone, user, turn, threading.Event(),
                                  time.perf_counter())
        self._lock_input("Answering… press Esc to cancel")
        self._update_status("retrieving, then the model reads the sources…")
        use_llm = self.settings.provider == "openai"
        history = list(self.history)
        self.run_worker(partial(workers.answer, self, self.engine, self.pending, history, use_llm),
                        thread=True, group="ask", exit_on_error=False)

    def _current(self, ask_id: int) -> PendingAsk | None:
        pending = self.pending
        return pending if pending is not None and pending.ask_id == ask_id else None

    async def on_draft_token(self, message: DraftToken) -> None:
        pending = self._current(message.ask_id)
        if pending is None:
            return
        if pending.turn.first_token_s is None:
            pending.turn.first_token_s = time.perf_counter() - pending.started
            self.first_token_s.append(pending.turn.first_token_s)
            self._update_status("writing a draft… Esc cancels")
        await pending.turn.add_draft(message.delta)

    def on_rewritten(self, message: Rewritten) -> None:
        pending = self._current(message.ask_id)
        if pending is not None:
            pending.standalone = message.standalone
            pending.user.set_standalone(message.standalone)

    async def on_ask_done(self, message: AskDone) -> None:
        pending = self._current(message.ask_id)
        if pending is None:
            return
        self.pending = None
        if message.answer is not None:
            await pending.turn.show_answer(message.answer)
            self._save(pending, "done", message.answer.answer, message.answer)
            self.query_one(SourcesPanel).show(message.answer)
        else:
            await pending.turn.stop("error", message.error)
            self._save(pending, "error", message.error, None)
            self.notify(message.error, title="No answer", severity="error", markup=False)
        self._update_status()
        self._lock_input(None)

    async def action_cancel(self) -> None:
        """Esc: stop the reply being written; its draft stays on screen, marked as never checked."""
        pending = self.pending
        if pending is None:
            return
        pending.cancel.set()
        self.pending = None
        await pending.turn.stop("cancelled", "")
        self._save(pending, "cancelled", pending.turn.draft, None)
        self._update_status("cancelled")
        self._lock_input(None)

    def _save(self, pending: PendingAsk, status: str, content: str, answer: Answer | None) -> None:
        if self.conversation is None:
            self.conversation = self.store.create(model=self.model_name)
        conversation_id = self.conversation.id
        self.store.add_message(conversation_id, "user", pending.question, standalone=pending.standalone)
        saved = answer_record(answer) if answer is not None else None
        self.store.add_message(conversation_id, "assistant", content, answer=saved, status=status)
        self.history.append(Exchange.of(pending.standalone, answer))
        self.conversation = self.store.get(conversation_id)
        if self.conversation is not None:
            self.title = self.conversation.title

    # Sources and articles --------------------------------------------------------------------

    def _article_text(self, source: str) -> str | None:
        return self.backend.article_text(source)

    @on(AnswerTurn.Selected)
    def _turn_selected(self, event: AnswerTurn.Selected) -> None:
        if event.turn.answer is not None:
            self.query_one(SourcesPanel).show(event.turn.answer)

    @on(AnswerTurn.CitationClicked)
    def _citation_clicked(self, event: AnswerTurn.CitationClicked) -> None:
        if event.turn.answer is not None:
            self.query_one(SourcesPanel).show_citation(event.turn.answer, event.n)

    def open_citation(self, n: int, answer: Answer | None = None) -> None:
        """Open the article of citation `n` of `answer` (default: the last answer), scrolled to its quote."""
        self.query_one(SourcesPanel).open_article(n, answer)

    # Commands --------------------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_toggle_sources(self) -> None:
        """F2: show and focus the sources panel; when it already has the focus, hide it (back to the question)."""
        prompt = self.query_one("#prompt", Input)
        if not self.query_one(SourcesPanel).toggle() and not prompt.disabled:
            prompt.focus()

    def action_toggle_lenient(self) -> None:
        self.lenient = not self.lenient
        self._update_status()
        self.notify("Lenient mode: unsupported sentences are kept and marked ⚠" if self.lenient
                    else "Strict mode: only sentences with a verified quote are kept", markup=False)

    async def action_new_chat(self) -> None:
        if self.pending is not None:
            await self.action_cancel()
        await self._clear_chat()
        self.conversation = None
        self.history = []
        self.title = "New chat"
        self.query_one(ChatLog).show_welcome(True)
        if self.engine is not None and not self.ingesting:
            self._lock_input(None)

    async def _clear_chat(self) -> None:
        await self.query_one(ChatLog).clear()
        self.query_one(SourcesPanel).show(None)

    def action_conversations(self) -> None:
        def opened(conversation_id: int | None) -> None:
            if conversation_id is not None:
                self.run_worker(self.open_conversation(conversation_id), group="open")
            elif self.conversation is not None:  # renamed or deleted from the list
                current = self.store.get(self.conversation.id)
                if current is None:
                    self.conversation, self.history = None, []
                    self.title = "New chat"
                else:
                    self.title = current.title

        self.push_screen(ConversationsScreen(self.store, self.settings.home / "exports"), opened)

    async def open_conversation(self, conversation_id: int) -> None:
        """Show a saved conversation; new questions continue it."""
        conversation = self.store.get(conversation_id)
        if conversation is None:
            return
        if self.pending is not None:
            await self.action_cancel()
        await self._clear_chat()
        history, last = await self.query_one(ChatLog).show_saved(self.store.messages(conversation_id),
                                                                 conversation.model or "")
        self.conversation, self.history = conversation, history
        self.title = conversation.title
        self.query_one(SourcesPanel).show(last)

    def action_rename(self) -> None:
        conversation = self.conversation
        if conversation is None:
            self.notify("Ask something first: empty chats are not saved", markup=False)
            return

        def done(title: str | None) -> None:
            if title:
                self.store.rename(conversation.id, title)
                self.conversation = self.store.get(conversation.id)
                self.title = self.conversation.title if self.conversation else title

        self.push_screen(PromptScreen("Rename conversation", value=conversation.title), done)

    def action_export(self) -> None:
        if self.conversation is None:
            self.notify("Nothing to export yet", markup=False)
            return
        path = self.store.export_to(self.conversation.id, self.settings.home / "exports")
        self.notify(f"Exported to {path}", markup=False, timeout=10)

    def action_switch_model(self) -> None:
        def chosen(name: str | None) -> None:
            if not name or name == self.model_name:
                return
            self._lock_input(f"Loading {name}…")
            self.run_worker(partial(workers.load_model, self, name), thread=True, group="model", exit_on_error=False)

        hint = ("smollm2 is the embedded model (offline). Also: a path to a .gguf file, or a model name served by "
                "OpenAI (OPENAI_API_KEY) or an OpenAI-compatible server (OPENAI_BASE_URL).")
        self.push_screen(PromptScreen("Switch model", value=self.model_name, hint=hint), chosen)

    def action_ingest(self) -> None:
        def chosen(folder: str | None) -> None:
            if not folder:
                return
            path = Path(folder).expanduser()
            if not path.exists():
                self.notify(f"No such file or folder: {path}", severity="error", markup=False)
                return
            self.ingesting = True
            self._lock_input(f"Ingesting {path}…")
            self.query_one("#ingest").add_class("active")
            self.run_worker(partial(workers.ingest, self, path), thread=True, group="ingest", exit_on_error=False)

        self.push_screen(PromptScreen("Ingest a folder of articles (.txt, .md, .html)", placeholder="~/news"), chosen)

    def on_ingest_done(self, message: IngestDone) -> None:
        self.ingesting = False
        self.query_one("#ingest").remove_class("active")
        if message.error:
            self.notify(message.error, title="Ingest failed", severity="error", markup=False)
        else:
            self.notify(message.summary, title="Ingested", markup=False, timeout=10)
        if message.articles:
            self.articles = message.articles
        self._update_status()
        if self.engine is not None:
            self._lock_input(None)


def run_chat(settings: Settings, server: str | None = None) -> None:
    """Open the chat app (blocks until the user quits); with `server`, over a running `assistant serve`."""
    ChatApp(settings, RemoteBackend(settings, server) if server else None).run()
