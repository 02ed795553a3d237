"""The widgets of the chat's main screen: the conversation column and its turns, the sources panel, and the ingest
and status lines. Article and answer text is data: it is shown through rich `Text` objects or
escaped Markdown (`assistant.chat.formatting`), never parsed as markup."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Markdown, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from assistant.answer import KEYWORD_INDEX_STEP, Answer, Citation
from assistant.chat.conversations import Message as SavedMessage
from assistant.chat.conversations import answer_from_json
from assistant.chat.followup import Exchange
from assistant.chat.formatting import answer_markdown, citation_heading, plural, quote_in_context
from assistant.chat.screens import ArticleScreen

# Chat turns ------------------------------------------------------------------------------------

class UserTurn(Static):
    """A question as the user typed it, and the standalone question it was searched as."""

    def __init__(self, question: str, standalone: str | None = None) -> None:
        super().__init__(classes="turn user")
        self.question = question
        self.standalone = standalone

    def on_mount(self) -> None:
        self.refresh_text()

    def set_standalone(self, standalone: str) -> None:
        self.standalone = standalone
        self.refresh_text()

    def refresh_text(self) -> None:
        text = Text()
        text.append("You  ", style="bold")
        text.append(self.question)
        if self.standalone and self.standalone != self.question:
            text.append("\nsearched as: ", style="dim italic")
            text.append(self.standalone, style="dim italic")
        self.update(text)


class AnswerTurn(Vertical):
    """An answer: the unverified draft while it streams, then the verified answer with citations."""

    class Selected(Message):
        """The user clicked this answer (its sources should be shown)."""

        def __init__(self, turn: AnswerTurn) -> None:
            super().__init__()
            self.turn = turn

    class CitationClicked(Message):
        """A [n] marker of this answer was clicked."""

        def __init__(self, turn: AnswerTurn, n: int) -> None:
            super().__init__()
            self.turn = turn
            self.n = n

    def __init__(self, model: str, answer: Answer | None = None, status: str = "streaming") -> None:
        super().__init__(classes="turn assistant")
        self.model = model
        self.answer = answer
        self.status = status if answer is None else "done"
        self.draft = ""
        self.first_token_s: float | None = None
        self._header = Static(classes="answer-header")
        self._body = Markdown("", open_links=False, classes="answer-body")
        self._stream: object | None = None

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._body

    async def on_mount(self) -> None:
        if self.answer is not None:
            await self.show_answer(self.answer)
        elif self.status == "streaming":
            self.add_class("draft")
            self._set_header("✎ draft — not yet checked against the sources…", "streaming")
        else:
            self.show_stopped(self.status, "")

    def _set_header(self, label: str, state: str) -> None:
        text = Text()
        text.append("Assistant", style="bold")
        text.append(f" · {self.model} · ", style="dim")
        text.append(label, style={"streaming": "italic", "done": "bold green", "abstained": "bold",
                                  "cancelled": "bold yellow", "error": "bold red"}.get(state, ""))
        self._header.update(text)

    async def add_draft(self, delta: str) -> None:
        """Append streamed draft tokens (shown dim, marked unverified)."""
        self.draft += delta
        if self._stream is None:
            self._stream = Markdown.get_stream(self._body)
        await self._stream.write(delta)  # type: ignore[attr-defined]

    async def _stop_stream(self) -> None:
        if self._stream is not None:
            await self._stream.stop()  # type: ignore[attr-defined]
            self._stream = None

    async def show_answer(self, answer: Answer) -> None:
        """Replace the draft with the verified answer."""
        await self._stop_stream()
        self.answer = answer
        self.status = "done"
        self.model = answer.model or self.model
        self.remove_class("draft")
        if answer.abstained:
            self._set_header("✗ no verified answer", "abstained")
        else:
            sources = len({c.source for c in answer.citations})
            unsupported = sum(1 for s in answer.sentences if not s.supported)
            quotes = len(answer.citations)
            label = f"✓ verified · {plural(quotes, 'quote')}, {plural(sources, 'article')}"
            if unsupported:
                label += f" · ⚠ {unsupported} unsupported"
            if answer.conflicts:
                label += " · ⚖ conflict"
            total = sum(answer.timings_ms.values())
            if total:
                label += f" · {total / 1000:.1f} s"
            self._set_header(label, "done")
        await self._body.update(answer_markdown(answer))

    async def stop(self, status: str, message: str) -> None:
        """End a reply that did not complete (cancelled or failed); the draft stays, marked as such."""
        await self._stop_stream()
        self.show_stopped(status, message)

    def show_stopped(self, status: str, message: str) -> None:
        self.status = status
        self.remove_class("draft")
        self.add_class("stopped")
        label = "■ cancelled — this draft was never checked" if status == "cancelled" else f"✗ error: {message}"
        self._set_header(label, status)
        if not self.draft and not self._body.source:
            self._body.display = False

    def on_click(self) -> None:
        self.post_message(self.Selected(self))

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        match = re.fullmatch(r"cite:(\d+)", event.href)
        if match:
            self.post_message(self.CitationClicked(self, int(match.group(1))))


class ChatLog(VerticalScroll):
    """The conversation: a welcome text until the first question, then the turns. Anchored: the view follows new
    text while the user is at the bottom, and stays where the user scrolled to otherwise."""

    def __init__(self, welcome: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self._welcome = welcome

    def compose(self) -> ComposeResult:
        yield Static(Text(self._welcome), id="welcome")

    def on_mount(self) -> None:
        self.anchor()

    def show_welcome(self, show: bool) -> None:
        self.query_one("#welcome").display = show

    async def clear(self) -> None:
        await self.query_children(".turn").remove()

    async def add_exchange(self, question: str, standalone: str, model: str) -> tuple[UserTurn, AnswerTurn]:
        """A question's turn and its reply's, a draft until the answer is verified."""
        self.show_welcome(False)
        user, turn = UserTurn(question, standalone), AnswerTurn(model)
        await self.mount_all([user, turn])
        return user, turn

    async def show_saved(self, messages: Iterable[SavedMessage], model: str) -> tuple[list[Exchange], Answer | None]:
        """Add the turns of a saved conversation (`model`: its model, for replies never verified); returns its
        questions as they were searched with their verified answers (the follow-up history) and its last verified
        answer."""
        self.show_welcome(False)
        turns: list[UserTurn | AnswerTurn] = []
        last: Answer | None = None
        history: list[Exchange] = []
        for message in messages:
            if message.role == "user":
                turns.append(UserTurn(message.content, message.standalone))
                history.append(Exchange(message.standalone or message.content))
            elif message.answer is not None:
                last = answer_from_json(message.answer)
                turns.append(AnswerTurn(last.model, last))
                if history and message.status == "done":
                    history[-1] = Exchange.of(history[-1].question, last)
            else:
                turn = AnswerTurn(model, None, status=message.status)
                turn.draft = message.content
                turns.append(turn)
        await self.mount_all(turns)
        self.anchor()
        return history, last


# Sources ---------------------------------------------------------------------------------------

class SourcesPanel(Vertical):
    """The cited articles of one answer, each quote highlighted in its context; Enter or click opens one."""

    def __init__(self, article_text: Callable[[str], str | None], id: str | None = None) -> None:
        super().__init__(id=id)
        self._article_text = article_text
        self.citations: list[Citation] = []

    def compose(self) -> ComposeResult:
        yield Label(Text("Sources", style="bold"), id="sources-title")
        yield OptionList(id="sources-list", markup=False)

    def show(self, answer: Answer | None) -> None:
        """List the citations of `answer` (or nothing)."""
        options = self.query_one(OptionList)
        options.clear_options()
        self.citations = list(answer.citations) if answer else []
        title = Text("Sources", style="bold")
        if answer is not None and self.citations:
            title.append(f"  {len(self.citations)} cited · ↑↓ Enter opens", style="dim")
        elif answer is not None:
            title.append("  none: nothing was verified", style="dim")
        else:
            title.append("  ask a question to see them", style="dim")
        self.query_one("#sources-title", Label).update(title)
        conflicted = {n for c in (answer.conflicts if answer else []) for claim in c.claims for n in claim.citations}
        for citation in self.citations:
            prompt = citation_heading(citation)
            if citation.n in conflicted:
                prompt.append("  ⚖ conflict", style="bold magenta")
            prompt.append("\n")
            prompt.append_text(quote_in_context(self._article_text(citation.source), citation))
            options.add_option(Option(prompt, id=f"cite-{citation.n}"))
        if self.citations:
            options.highlighted = 0

    def highlight(self, n: int) -> None:
        options = self.query_one(OptionList)
        for index, citation in enumerate(self.citations):
            if citation.n == n:
                options.highlighted = index

    def toggle(self) -> bool:
        """Show the panel and focus its list, or hide it when the list has the focus; whether it is shown."""
        options = self.query_one(OptionList)
        if self.display and options.has_focus:
            self.display = False
            return False
        self.display = True
        options.focus()
        return True

    def show_citation(self, answer: Answer, n: int) -> None:
        """Show the sources of `answer` with citation `n` highlighted, and open its article (a clicked [n])."""
        if any(c.n == n for c in answer.citations):
            self.show(answer)
            self.highlight(n)
            self.open_article(n, answer)

    def open_article(self, n: int, answer: Answer | None = None) -> None:
        """Open the article of citation `n` of `answer` (default: the answer shown), scrolled to its quote."""
        citation = next((c for c in (answer.citations if answer is not None else self.citations) if c.n == n), None)
        if citation is not None:
            self._open(citation)

    def _open(self, citation: Citation) -> None:
        self.app.push_screen(ArticleScreen(citation, self._article_text(citation.source)))

    @on(OptionList.OptionSelected, "#sources-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(self.citations[event.option_index])


# Status ----------------------------------------------------------------------------------------

class IngestBar(Horizontal):
    """Progress of an ingest, or of bringing the keyword index up to date; shown while the class `active` is set."""

    def compose(self) -> ComposeResult:
        yield Label("", id="ingest-label")
        yield ProgressBar(id="ingest-bar", show_eta=False)

    def show(self, done: int, total: int, name: str) -> None:
        self.add_class("active")
        self.query_one(ProgressBar).update(total=max(1, total), progress=done)
        verb = "indexing" if name == KEYWORD_INDEX_STEP else "ingesting"
        label = Text(f"{verb} {done}/{total} ")
        label.append(name, style="dim")
        self.query_one("#ingest-label", Label).update(label)


class StatusLine(Static):
    """The line above the question box: the model and where it runs, strict or lenient citations, the number of
    articles, and what the app is doing."""

    def show(self, model: str, provider: str, lenient: bool, articles: int, state: str = "") -> None:
        where = "embedded, offline" if provider == "embedded" else provider
        text = Text()
        text.append("model ", style="dim")
        text.append(model, style="bold")
        text.append(f" ({where})", style="dim")
        text.append(" · ")
        text.append("lenient: unsupported sentences kept, marked ⚠" if lenient else "strict citations")
        if articles:
            text.append(f" · {articles} articles", style="dim")
        if state:
            text.append(f" · {state}", style="italic")
        self.update(text)
