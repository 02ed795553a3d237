"""Widgets and screens of the chat app. Article and answer text is data: it is shown through rich `Text`
objects or escaped Markdown, never parsed as markup."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from assistant.answer import Answer, Citation
from assistant.chat.conversations import Conversation, ConversationStore

QUOTE_STYLE = "bold black on yellow"
CONTEXT_CHARS = 100
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&$%^=:\"'])")

KEYS: list[tuple[str, str]] = [
    ("Enter", "Ask the question typed in the box"),
    ("Esc", "Cancel the answer being written / close a dialog"),
    ("Ctrl+P", "Command palette: new chat, model, ingest, sources, lenient, theme…"),
    ("F1", "This help"),
    ("F2", "Go to the sources panel (again: hide it)"),
    ("F3 / Ctrl+O", "Saved conversations: open, rename (r), delete (d), export (e)"),
    ("Ctrl+N", "New chat"),
    ("Ctrl+L", "Toggle lenient mode (keep unsupported sentences, marked)"),
    ("Tab / Shift+Tab", "Move between the question box, the chat and the sources"),
    ("↑ ↓ then Enter", "In the sources panel: choose a citation and open the article"),
    ("Click [n]", "Open the article of a citation, scrolled to the quote"),
    ("Ctrl+Q", "Quit"),
]


# Formatting ------------------------------------------------------------------------------------

def escape_markdown(text: str) -> str:
    """`text` as Markdown that renders literally (no emphasis, links, HTML or entities)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cite_links(numbers: list[int]) -> str:
    return "".join(f"[\\[{n}\\]](cite:{n})" for n in numbers)


def answer_markdown(answer: Answer) -> str:
    """The verified answer as Markdown: [n] markers link to citations, unsupported sentences and
    conflicts are marked."""
    if answer.abstained:
        return f"*{escape_markdown(answer.answer)}*"
    parts = []
    for sentence in answer.sentences:
        if answer.conflicts and sentence.text.startswith("The articles differ"):
            continue  # shown as a conflict block below
        text = escape_markdown(sentence.text)
        if sentence.supported and sentence.citations:
            parts.append(f"{text} {_cite_links(sentence.citations)}")
        else:
            parts.append(f"⚠ *{text}* **\\[unsupported\\]**")
    blocks = [" ".join(parts)] if parts else []
    for conflict in answer.conflicts:
        lines = [f"> **⚖ Conflict — the articles differ:** {escape_markdown(conflict.about)}", ">"]
        for claim in conflict.claims:
            lines.append(f"> - “{escape_markdown(claim.value)}” {_cite_links(sorted(claim.citations))}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _flat(text: str) -> str:
    return " ".join(text.split())


def quote_in_context(article: str | None, citation: Citation, chars: int = CONTEXT_CHARS) -> Text:
    """The quote highlighted between a little of the text before and after it (all literal)."""
    out = Text()
    if article is None or article[citation.start : citation.end] != citation.quote:
        out.append(_flat(citation.quote), style=QUOTE_STYLE)
        return out
    before = _flat(article[max(0, citation.start - chars) : citation.start])
    after = _flat(article[citation.end : citation.end + chars])
    if citation.start > chars and " " in before:
        before = "…" + before.split(" ", 1)[1]
    if citation.end + chars < len(article) and " " in after:
        after = after.rsplit(" ", 1)[0] + "…"
    out.append(before + (" " if before and article[citation.start - 1].isspace() else ""), style="dim")
    out.append(_flat(citation.quote), style=QUOTE_STYLE)
    out.append((" " if after and article[citation.end : citation.end + 1].isspace() else "") + after, style="dim")
    return out


def citation_heading(citation: Citation) -> Text:
    out = Text()
    out.append(f"[{citation.n}] ", style="bold")
    out.append(citation.title or Path(citation.source).name, style="bold")
    out.append(f"  {Path(citation.source).name}", style="dim")
    return out


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
            label = f"✓ verified · {_plural(quotes, 'quote')}, {_plural(sources, 'article')}"
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


# Sources ---------------------------------------------------------------------------------------

class SourcesPanel(Vertical):
    """The cited articles of one answer, each quote highlighted in its context; Enter or click opens one."""

    class Chosen(Message):
        def __init__(self, citation: Citation) -> None:
            super().__init__()
            self.citation = citation

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

    @on(OptionList.OptionSelected, "#sources-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self.citations[event.option_index]))


class ArticleScreen(ModalScreen[None]):
    """One article, its cited quote highlighted and scrolled into view."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, citation: Citation, article: str | None) -> None:
        super().__init__()
        self.citation = citation
        self.article = article
        self.quote_line = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="article-box"):
            yield Static(citation_heading(self.citation), id="article-title")
            yield Static(Text(self.citation.source, style="dim"), id="article-source")
            with VerticalScroll(id="article-scroll"):
                yield Static(self._body(), id="article-text")
            yield Static(Text("Esc closes · ↑↓ PgUp PgDn scroll", style="dim"), id="article-keys")

    def _body(self) -> Text:
        c = self.citation
        if self.article is None:
            return Text.assemble(("The article text is not available; the quote was:\n\n", "italic"),
                                 (c.quote, QUOTE_STYLE))
        text = Text(self.article[: c.start])
        text.append(self.article[c.start : c.end], style=QUOTE_STYLE)
        text.append(self.article[c.end :])
        return text

    def on_mount(self) -> None:
        self.query_one("#article-scroll").focus()
        self.call_after_refresh(self._scroll_to_quote)

    def _scroll_to_quote(self) -> None:
        scroll = self.query_one("#article-scroll", VerticalScroll)
        width = self.query_one("#article-text", Static).content_region.width
        if self.article is None or width <= 0:
            return
        before = Text(self.article[: self.citation.start] + "x")
        self.quote_line = max(0, len(before.wrap(self.app.console, width)) - 1)
        scroll.scroll_to(y=max(0, self.quote_line - 3), animate=False)


class HelpScreen(ModalScreen[None]):
    """The keys."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        table = Text()
        for key, what in KEYS:
            table.append(f"{key:<18}", style="bold")
            table.append(what + "\n")
        table.append("\nEvery sentence of an answer cites the articles: [n] markers link to verbatim quotes.\n"
                     "Draft text (dim, italic) is the model's unverified writing; the verified answer replaces it.\n"
                     "⚠ marks sentences no quote supports (lenient mode only); ⚖ marks articles that disagree.",
                     style="dim")
        with Vertical(id="help-box"):
            yield Static(Text("Keys", style="bold"), id="help-title")
            yield Static(table, id="help-keys")
            yield Static(Text("Esc closes", style="dim"))


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; Enter returns it, Esc returns None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "", hint: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(Text(self.question, style="bold"))
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            if self.hint:
                yield Static(Text(self.hint, style="dim"))

    @on(Input.Submitted, "#prompt-input")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConversationsScreen(ModalScreen[int | None]):
    """Saved conversations: Enter opens, r renames, d deletes, e exports to Markdown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("r", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
        Binding("e", "export", "Export"),
    ]

    def __init__(self, store: ConversationStore, export_folder: Path) -> None:
        super().__init__()
        self.store = store
        self.export_folder = export_folder
        self.conversations: list[Conversation] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="conversations-box"):
            yield Label(Text("Saved conversations", style="bold"))
            yield OptionList(id="conversations-list", markup=False)
            yield Static(Text("Enter open · r rename · d delete · e export to Markdown · Esc close", style="dim"))

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self, keep: int | None = None) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted or 0
        options.clear_options()
        self.conversations = self.store.all()
        for conversation in self.conversations:
            prompt = Text(conversation.title, style="bold")
            prompt.append(f"\n{conversation.updated_at} · {conversation.messages} messages", style="dim")
            if conversation.model:
                prompt.append(f" · {conversation.model}", style="dim")
            options.add_option(Option(prompt, id=f"conversation-{conversation.id}"))
        if not self.conversations:
            options.add_option(Option(Text("No saved conversations yet.", style="italic"), disabled=True))
        elif keep is not None:
            options.highlighted = next((i for i, c in enumerate(self.conversations) if c.id == keep), 0)
        else:
            options.highlighted = min(index, len(self.conversations) - 1)

    def _current(self) -> Conversation | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not self.conversations:
            return None
        return self.conversations[index]

    @on(OptionList.OptionSelected, "#conversations-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.conversations:
            self.dismiss(self.conversations[event.option_index].id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_rename(self) -> None:
        current = self._current()
        if current is None:
            return

        def done(title: str | None) -> None:
            if title:
                self.store.rename(current.id, title)
                self.reload(keep=current.id)

        self.app.push_screen(PromptScreen("Rename conversation", value=current.title), done)

    def action_delete(self) -> None:
        current = self._current()
        if current is None:
            return
        self.store.delete(current.id)
        self.app.notify(f"Deleted “{current.title}”", markup=False)
        self.reload()

    def action_export(self) -> None:
        current = self._current()
        if current is None:
            return
        path = self.store.export_to(current.id, self.export_folder)
        self.app.notify(f"Exported to {path}", markup=False, timeout=8)
