"""The chat app: Pilot tests with a fake deterministic engine, SVG snapshots, and a real conversation with
the embedded model."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Markdown, OptionList

from assistant.answer import KEYWORD_INDEX_STEP, Answer, AnswerSentence, Citation, Claim, Conflict
from assistant.chat.app import ChatApp, SessionBackend
from assistant.chat.conversations import ConversationStore
from assistant.chat.widgets import AnswerTurn, ArticleScreen, ConversationsScreen, PromptScreen, UserTurn
from assistant.config import load_settings

SIZE = (100, 32)

# A fake engine with the real interface ---------------------------------------------------------

WIRE = "/news/wire-attack.txt"
MARKUP = "/news/markup-[bold]-test.txt"
ARTICLES = {
    WIRE: ("Drone attack on premier's home\n\nBAGHDAD — Seven of the prime minister's guards were injured in the drone "
           "attack on Sunday, two officials said. The US State Department condemned the attack and offered help. "
           "The premier was unharmed and called for calm.\n"),
    MARKUP: ("A test of [italic]markup[/italic]\n\nThe banner read [bold]Breaking[/bold] and linked to "
             "[link=https://evil.example]this page[/link]. Several guards were hurt, a spokesman said. "
             "Nobody else was hurt.\n"),
}
BANNER = "The banner read [bold]Breaking[/bold] and linked to [link=https://evil.example]this page[/link]."


def _cite(n: int, source: str, title: str, quote: str) -> Citation:
    start = ARTICLES[source].index(quote)
    return Citation(n, source, title, quote, start, start + len(quote))


CITATIONS = [
    _cite(1, WIRE, "Drone attack on premier's home",
          "BAGHDAD — Seven of the prime minister's guards were injured in the drone attack on Sunday, "
          "two officials said."),
    _cite(2, MARKUP, "A test of [italic]markup[/italic]", BANNER),
    _cite(3, MARKUP, "A test of [italic]markup[/italic]", "Several guards were hurt, a spokesman said."),
]
DRAFT = "Seven guards were injured [1]. The banner read [bold]Breaking[/bold] [2]. They were flown to Paris."


class FakeEngine:
    """Streams a fixed draft and returns a fixed verified answer (with a conflict; unsupported sentence if lenient)."""

    model_name = "fake-model"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.questions: list[str] = []
        self.finished: list[str] = []

    def ask(self, question: str, top_k: int | None = None, lenient: bool = False,
            on_token: Callable[[str], None] | None = None) -> Answer:
        self.questions.append(question)
        for word in DRAFT.split(" "):
            if on_token:
                on_token(word + " ")
            if self.delay:
                time.sleep(self.delay)
        sentences = [
            AnswerSentence("Seven of the prime minister's guards were injured in the drone attack.", [1], True),
            AnswerSentence(BANNER, [2], True),
        ]
        if lenient:
            sentences.append(AnswerSentence("The guards were flown to Paris.", [], False))
        sentences.append(AnswerSentence('The articles differ: "seven" [1] and "several" [3].', [1, 3], True))
        self.finished.append(question)
        return Answer(question, " ".join(s.text for s in sentences), False, sentences, list(CITATIONS),
                      [Conflict(question, [Claim("seven", [1]), Claim("several", [3])])], self.model_name,
                      {"retrieve": 100.0, "generate": 1100.0, "verify": 50.0})


class FakeBackend:
    def __init__(self, engine: FakeEngine | None = None) -> None:
        self.fake = engine or FakeEngine()
        self.ingested: list[Path] = []

    def open(self, notice: Callable[[str], None], progress: Callable[[int, int, str], None]) -> None:
        pass

    def engine(self, model: str | None) -> FakeEngine:
        return self.fake

    def article_text(self, source: str) -> str | None:
        return ARTICLES.get(source)

    def article_count(self) -> int:
        return len(ARTICLES)

    def ingest(self, paths: list[Path], notice: Callable[[str], None],
               progress: Callable[[int, int, str], None]) -> str:
        for i in range(3):
            progress(i, 3, f"file{i}.txt")
            time.sleep(0.05)
        self.ingested.extend(paths)
        return "3 ingested (9 chunks), 0 unchanged, 0 skipped"


def fake_app(tmp_path: Path, engine: FakeEngine | None = None) -> ChatApp:
    return ChatApp(load_settings(), backend=FakeBackend(engine), store=ConversationStore(tmp_path / "chats.sqlite3"))


# Helpers ---------------------------------------------------------------------------------------

def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Pause until `condition()` holds; returns the seconds waited."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s")
        await pilot.pause(0.02)
    return time.perf_counter() - started


async def ready(pilot: Pilot[None], timeout: float = 60.0) -> None:
    app = pilot.app
    assert isinstance(app, ChatApp)
    await wait_for(pilot, lambda: app.engine is not None and not app.query_one("#prompt", Input).disabled, timeout)
    app.query_one("#prompt", Input).cursor_blink = False  # a blinking cursor would make snapshots depend on timing


async def ask(pilot: Pilot[None], question: str, typed: bool = False) -> None:
    """Put `question` in the question box (typing it key by key when `typed`) and press Enter."""
    prompt = pilot.app.query_one("#prompt", Input)
    if typed:
        await pilot.click("#prompt")
        await pilot.press(*question)
    else:  # no mouse: hover styles would make snapshots depend on timing
        prompt.focus()
        prompt.value = question
    await pilot.press("enter")


def screen_text(app: ChatApp) -> str:
    """What the terminal shows, as plain text rows (from the SVG screenshot)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text[^>]*x="([\d.]+)"[^>]*y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(float(match.group(2)), []).append(
            (float(match.group(1)), html.unescape(match.group(3)).replace("\xa0", " ")))
    return "\n".join("".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items()))


async def shown(pilot: Pilot[None]) -> str:
    """The screen's text once pending updates are drawn."""
    await pilot.pause()
    app = pilot.app
    assert isinstance(app, ChatApp)
    return screen_text(app)


def turns(app: ChatApp) -> list[AnswerTurn]:
    return list(app.query(AnswerTurn))


# Pilot tests with the fake engine ---------------------------------------------------------------

def test_streams_a_draft_then_shows_the_verified_answer(tmp_path: Path) -> None:
    engine = FakeEngine(delay=0.05)

    async def scenario() -> None:
        app = fake_app(tmp_path, engine)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await ask(pilot, "How many guards were injured?", typed=True)
            await wait_for(pilot, lambda: bool(turns(app)) and bool(turns(app)[-1].draft))
            turn = turns(app)[-1]
            assert app.query_one("#prompt", Input).disabled  # locked while it streams
            assert turn.has_class("draft") and "✎ draft" in await shown(pilot)
            await wait_for(pilot, lambda: turn.status == "done")
            assert not turn.has_class("draft")
            source = turn.query_one(Markdown).source
            assert "[\\[1\\]](cite:1)" in source and "⚖ Conflict" in source
            text = await shown(pilot)
            assert "✓ verified" in text and "⚖ conflict" in text
            assert len(app.query_one("#sources-list", OptionList).options) == 3
            prompt = app.query_one("#prompt", Input)
            assert not prompt.disabled and prompt.has_focus
            assert app.title == "How many guards were injured?"
            [saved] = app.store.all()
            assert saved.messages == 2 and app.store.messages(saved.id)[1].answer is not None

    run(scenario())


def test_article_and_answer_text_is_never_markup(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = fake_app(tmp_path)
        async with app.run_test(size=(160, 50)) as pilot:
            await ready(pilot)
            await ask(pilot, "What did the banner say?")
            await wait_for(pilot, lambda: bool(turns(app)) and turns(app)[-1].status == "done")
            await pilot.pause()
            text = await shown(pilot)
            assert "[bold]Breaking[/bold]" in text  # in the answer and in the sources panel
            assert "[link=https://evil.example]this" in text and "page[/link]" in text
            assert "A test of [italic]markup[/italic]" in text
            app.open_citation(2)
            await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
            await pilot.pause()
            assert "[bold]Breaking[/bold]" in await shown(pilot)

    run(scenario())


def test_escape_cancels_the_reply(tmp_path: Path) -> None:
    engine = FakeEngine(delay=0.3)

    async def scenario() -> None:
        app = fake_app(tmp_path, engine)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await ask(pilot, "How many guards were injured?")
            await wait_for(pilot, lambda: bool(turns(app)) and bool(turns(app)[-1].draft))
            await pilot.press("escape")
            turn = turns(app)[-1]
            assert turn.status == "cancelled"
            assert not app.query_one("#prompt", Input).disabled
            assert "■ cancelled" in await shown(pilot)
            await wait_for(pilot, lambda: not any(w.is_running for w in app.workers))
            assert engine.finished == []  # generation stopped at the next token
            [saved] = app.store.all()
            assert [m.status for m in app.store.messages(saved.id)] == ["done", "cancelled"]

    run(scenario())


def test_followup_is_rewritten_before_retrieval(tmp_path: Path) -> None:
    engine = FakeEngine()

    async def scenario() -> None:
        app = fake_app(tmp_path, engine)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await ask(pilot, "Who attacked the prime minister's residence?")
            await wait_for(pilot, lambda: len(engine.finished) == 1 and app.pending is None)
            await ask(pilot, "and who condemned it?")
            await wait_for(pilot, lambda: len(engine.finished) == 2 and app.pending is None)
            assert engine.questions[1] == "Who condemned it (attacked prime minister's residence)?"
            user = list(app.query(UserTurn))[-1]
            assert user.standalone == engine.questions[1]
            assert turns(app)[-1].answer is not None and turns(app)[-1].answer.citations  # type: ignore[union-attr]

    run(scenario())


def test_lenient_mode_marks_unsupported_sentences(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = fake_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("ctrl+l")
            assert app.lenient
            await ask(pilot, "How many guards were injured?")
            await wait_for(pilot, lambda: bool(turns(app)) and turns(app)[-1].status == "done")
            source = turns(app)[-1].query_one(Markdown).source
            assert "⚠ *The guards were flown to Paris\\.* **\\[unsupported\\]**" in source
            assert "⚠ 1 unsupported" in await shown(pilot)

    run(scenario())


def test_citation_link_opens_the_article_at_the_quote(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = fake_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await ask(pilot, "How many guards were injured?")
            await wait_for(pilot, lambda: bool(turns(app)) and turns(app)[-1].status == "done")
            turn = turns(app)[-1]
            turn.post_message(AnswerTurn.CitationClicked(turn, 3))  # what clicking "[3]" sends
            await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
            screen = app.screen
            assert isinstance(screen, ArticleScreen) and screen.citation.n == 3
            assert app.query_one("#sources-list", OptionList).highlighted == 2
            await pilot.press("escape")
            # keyboard: the sources panel, arrows, Enter
            await pilot.press("f2")
            assert app.focused is app.query_one("#sources-list", OptionList)
            await pilot.press("f2")
            assert not app.query_one("#sources").display
            await pilot.press("f2")
            assert app.focused is app.query_one("#sources-list", OptionList)
            await pilot.press("home", "down", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
            assert app.screen.citation.n == 2  # type: ignore[attr-defined]
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("W", "h", "o")  # typing goes back to the question box
            assert app.query_one("#prompt", Input).value == "Who" and app.query_one("#prompt", Input).has_focus

    run(scenario())


def test_view_sticks_to_the_bottom_only_while_the_user_is_there(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = fake_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            chat = app.query_one("#chat")
            for i in range(3):
                await ask(pilot, f"Question {i} about the guards?")
                await wait_for(pilot, lambda: len(turns(app)) == i + 1 and app.pending is None)  # noqa: B023
                await pilot.pause()
            assert chat.max_scroll_y > 0 and chat.scroll_y == chat.max_scroll_y
            chat.scroll_home(animate=False)  # the user scrolls up to read
            await pilot.pause()
            await ask(pilot, "One more question about the guards?")
            await wait_for(pilot, lambda: len(turns(app)) == 4 and app.pending is None)
            await pilot.pause()
            assert chat.scroll_y == 0
            chat.scroll_end(animate=False)  # back at the bottom: it sticks again
            await pilot.pause()
            await ask(pilot, "And the last one about the guards?")
            await wait_for(pilot, lambda: len(turns(app)) == 5 and app.pending is None)
            await pilot.pause(0.2)
            assert chat.scroll_y == chat.max_scroll_y

    run(scenario())


def test_conversations_reopen_rename_delete_export(tmp_path: Path, isolated_home: Path) -> None:
    async def scenario() -> None:
        app = fake_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await ask(pilot, "How many guards were injured?")
            await wait_for(pilot, lambda: app.pending is None and bool(turns(app)) and turns(app)[-1].status == "done")
            await pilot.press("ctrl+n")
            assert not turns(app) and app.conversation is None
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, ConversationsScreen))
            await pilot.press("e")
            exported = list((isolated_home / "exports").glob("*.md"))
            assert len(exported) == 1 and "> BAGHDAD — Seven" in exported[0].read_text(encoding="utf-8")
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
            await pilot.press("ctrl+a", "ctrl+k", *"Guards", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConversationsScreen))
            assert app.store.all()[0].title == "Guards"
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(turns(app)) == 1)
            assert app.title == "Guards" and turns(app)[0].answer is not None
            assert len(app.query_one("#sources-list", OptionList).options) == 3
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, ConversationsScreen))
            await pilot.press("d", "escape")
            assert app.store.all() == [] and app.conversation is None

    run(scenario())


def test_command_palette_ingests_a_folder_with_progress(tmp_path: Path) -> None:
    backend = FakeBackend()
    (tmp_path / "news").mkdir()

    async def scenario() -> None:
        app = ChatApp(load_settings(), backend=backend, store=ConversationStore(tmp_path / "c.sqlite3"))
        progress: list[float] = []
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"ingest")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
            app.screen.query_one(Input).value = str(tmp_path / "news")
            await pilot.press("enter")
            bar = app.query_one("#ingest-bar")

            def moving() -> bool:
                progress.append(bar.progress)  # type: ignore[attr-defined]
                return bool(backend.ingested)

            await wait_for(pilot, moving)
            await wait_for(pilot, lambda: not app.ingesting)
            assert backend.ingested == [tmp_path / "news"]
            assert max(progress) >= 1
            assert not app.query_one("#prompt", Input).disabled

    run(scenario())


class IndexingBackend(FakeBackend):
    """Opens as the real backend does when articles changed since the keyword index was brought up to date."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def open(self, notice: Callable[[str], None], progress: Callable[[int, int, str], None]) -> None:
        progress(2, 5, KEYWORD_INDEX_STEP)
        self.release.wait(10)


def test_keyword_indexing_while_opening_shows_as_indexing(tmp_path: Path) -> None:
    backend = IndexingBackend()

    async def scenario() -> None:
        app = ChatApp(load_settings(), backend=backend, store=ConversationStore(tmp_path / "c.sqlite3"))
        async with app.run_test(size=SIZE) as pilot:
            label = app.query_one("#ingest-label", Label)
            await wait_for(pilot, lambda: str(label.render()).startswith("indexing 2/5 keyword index"))
            assert app.query_one("#ingest").has_class("active")
            backend.release.set()
            await ready(pilot)
            assert not app.query_one("#ingest").has_class("active")

    run(scenario())


def test_the_chat_readies_the_keyword_and_vector_indexes_when_it_opens(seeded_session: Any, tmp_path: Path) -> None:
    """Articles ingested since the keyword index was last brought up to date (by another machine, an interrupted
    run, an earlier version) are indexed while the chat opens, under its progress bar, not in the first answer;
    Chroma's vector index is loaded then too (0.4-0.7 s at a process's first search at 100,000 chunks)."""
    from assistant.corpus import KeywordIndex

    index = KeywordIndex(tmp_path / "keyword", seeded_session.store)
    seeded_session.retriever.keyword_index = index
    heard: list[tuple[int, int, str]] = []
    searches: list[int] = []
    nearest = seeded_session.store.nearest
    seeded_session.store.nearest = lambda vector, k: searches.append(k) or nearest(vector, k)
    SessionBackend(seeded_session.settings, session=seeded_session).open(
        lambda text: None, lambda done, total, name: heard.append((done, total, name)))
    assert heard == [(0, 5, KEYWORD_INDEX_STEP), (5, 5, KEYWORD_INDEX_STEP)]
    assert index.sync() == 0
    assert searches == [1]  # Chroma's vector index read into memory before the first question (`Session.warm_up`)


# Snapshots (fake engine: deterministic) ---------------------------------------------------------

def _snapshot_app(tmp_path: Path) -> ChatApp:
    return fake_app(tmp_path)


async def _answered(pilot: Pilot[None], lenient: bool = False) -> None:
    await ready(pilot)
    if lenient:
        await pilot.press("ctrl+l")
    await ask(pilot, "How many guards were injured?")
    app = pilot.app
    assert isinstance(app, ChatApp)
    await wait_for(pilot, lambda: app.pending is None and bool(turns(app)) and turns(app)[-1].status == "done")
    await app.workers.wait_for_complete()
    await pilot.pause(0.3)
    await pilot.wait_for_scheduled_animations()


def test_snapshot_main_screen(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(_snapshot_app(tmp_path), terminal_size=SIZE, run_before=_answered)


def test_snapshot_sources_panel(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await _answered(pilot, lenient=True)
        await pilot.press("f2", "down")
        pilot.app.clear_notifications()
        await pilot.pause(0.2)

    assert snap_compare(_snapshot_app(tmp_path), terminal_size=SIZE, run_before=before)


def test_snapshot_article_screen(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await _answered(pilot)
        await pilot.press("f2", "down", "enter")
        await pilot.pause(0.3)

    assert snap_compare(_snapshot_app(tmp_path), terminal_size=SIZE, run_before=before)


def test_snapshot_help_screen(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause(0.2)

    assert snap_compare(_snapshot_app(tmp_path), terminal_size=SIZE, run_before=before)


# A real conversation with the embedded model ---------------------------------------------------

class PacedLLM:
    """The real embedded model, its tokens paced at one per 50 ms: how fast the model writes must not
    decide whether a test sees the input locked or gets to press Esc before the answer is done."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm

    def stream_chat(self, messages: Any) -> Any:
        for part in self.llm.stream_chat(messages):
            time.sleep(0.05)
            yield part


def _real_app(seeded_session: Any, embedded_engine: Any, store_path: Path) -> ChatApp:
    from assistant.answer import Engine

    settings = seeded_session.settings
    engine = Engine(embedded_engine.retriever, PacedLLM(embedded_engine.llm), embedded_engine.embed_model,
                    embedded_engine.model_name, embedded_engine.top_k)
    backend = SessionBackend(settings, session=seeded_session, engine=engine)
    return ChatApp(settings, backend=backend, store=ConversationStore(store_path))


@pytest.mark.slow
def test_real_conversation_with_the_embedded_model(seeded_session: Any, embedded_engine: Any,
                                                   tmp_path: Path) -> None:
    store_path = tmp_path / "chats.sqlite3"
    figures: dict[str, float] = {}
    saved: dict[str, Any] = {}

    async def conversation() -> None:
        app = _real_app(seeded_session, embedded_engine, store_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, timeout=120)
            assert "smollm2" in await shown(pilot)
            started = time.perf_counter()
            await ask(pilot, "Who condemned the attack?")
            await wait_for(pilot, lambda: bool(turns(app)) and bool(turns(app)[-1].draft), timeout=120)
            figures["first_token_s"] = time.perf_counter() - started
            assert app.query_one("#prompt", Input).disabled
            turn = turns(app)[-1]
            await wait_for(pilot, lambda: turn.status != "streaming", timeout=180)
            figures["answer_s"] = time.perf_counter() - started
            assert turn.status == "done" and turn.answer is not None
            answer = turn.answer
            assert not answer.abstained and answer.citations and answer.model == "smollm2"
            saved.update(answer.to_json())
            assert "(cite:1)" in turn.query_one(Markdown).source
            assert "condemned" in await shown(pilot)
            # open citation 1 with the keyboard; the article shows the verbatim quote, scrolled into view
            await pilot.press("f2", "home", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
            screen = app.screen
            assert isinstance(screen, ArticleScreen)
            citation = answer.citations[0]
            assert screen.article is not None and screen.article[citation.start : citation.end] == citation.quote
            await pilot.press("escape")

    async def reopen() -> None:
        app = _real_app(seeded_session, embedded_engine, store_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, timeout=120)
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, ConversationsScreen))
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(turns(app)) == 1)
            reopened = turns(app)[0].answer
            assert reopened is not None and reopened.citations
            assert reopened.to_json() == saved
            assert "condemned" in await shown(pilot)
            assert app.history == ["Who condemned the attack?"]

    run(conversation())
    run(reopen())
    print(f"\nembedded model in the UI: first draft token after {figures['first_token_s']:.2f} s, "
          f"verified answer after {figures['answer_s']:.2f} s")


@pytest.mark.slow
def test_real_reply_can_be_cancelled(seeded_session: Any, embedded_engine: Any, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = _real_app(seeded_session, embedded_engine, tmp_path / "chats.sqlite3")
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, timeout=120)
            await ask(pilot, "How many of the prime minister's guards were injured?")
            await wait_for(pilot, lambda: bool(turns(app)) and bool(turns(app)[-1].draft), timeout=120)
            await pilot.press("escape")
            assert turns(app)[-1].status == "cancelled"
            assert not app.query_one("#prompt", Input).disabled
            started = time.perf_counter()
            await wait_for(pilot, lambda: not any(w.is_running for w in app.workers), timeout=30)
            assert time.perf_counter() - started < 5  # generation stopped at the next token

    run(scenario())



@pytest.mark.slow
def test_the_chat_loads_a_local_model_and_its_prompt_start_before_the_first_question(seeded_session: Any) -> None:
    backend = SessionBackend(seeded_session.settings, session=seeded_session)
    engine = backend.engine(None)
    llama = engine.llm._llama  # type: ignore[attr-defined]
    assert llama is not None and llama.n_tokens > 50  # loaded, and the system message evaluated
    assert backend.engine(None) is engine
