"""The chat's dialogs over the main screen: an article at its quote, the keys, a one-line prompt, and the saved
conversations. Article text is shown as rich `Text`, never parsed as markup."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from assistant.answer import Citation
from assistant.chat.conversations import Conversation, ConversationStore
from assistant.chat.formatting import QUOTE_STYLE, citation_heading

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
