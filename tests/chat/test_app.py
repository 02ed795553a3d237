"""The chat app: Pilot tests with a fake deterministic engine (`tests.chat.helpers`), the main screen's SVG
snapshot, and a real conversation with the embedded model."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Label, Markdown, OptionList

from assistant.answer import KEYWORD_INDEX_STEP
from assistant.chat.app import WELCOME, ChatApp
from assistant.chat.backend import SessionBackend
from assistant.chat.conversations import ConversationStore
from assistant.chat.followup import Exchange
from assistant.chat.screens import ArticleScreen, ConversationsScreen, PromptScreen
from assistant.chat.widgets import UserTurn
from assistant.config import load_settings
from tests.chat.helpers import (
    SIZE,
    FakeBackend,
    FakeEngine,
    answered,
    ask,
    ask_fake,
    fake_app,
    ready,
    run,
    shown,
    turns,
    wait_for,
)


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
            await ask_fake(pilot, engine, "Who attacked the prime minister's residence?")
            await ask_fake(pilot, engine, "and who condemned it?")
            # "it" is the event the first answer is about ("... injured in the drone attack"), not its question
            assert engine.questions[1] == "Who condemned the drone attack?"
            assert app.history[0].question == "Who attacked the prime minister's residence?"
            assert app.history[0].sentences[0].endswith("injured in the drone attack.")
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


def test_a_reopened_conversation_resolves_followups_with_its_saved_answers(tmp_path: Path) -> None:
    engine = FakeEngine()

    async def scenario() -> None:
        app = fake_app(tmp_path, engine)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await ask_fake(pilot, engine, "Who attacked the prime minister's residence?")
            asked = list(app.history)
            await pilot.press("ctrl+n")
            assert app.history == []
            [saved] = app.store.all()
            await app.open_conversation(saved.id)
            assert app.history == asked and app.history[0].sentences and app.history[0].quotes
            await ask_fake(pilot, engine, "and who condemned it?")
            assert engine.questions[1] == "Who condemned the drone attack?"

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


def test_the_footer_shows_how_to_quit_and_ctrl_q_quits_from_the_question_box(tmp_path: Path) -> None:
    """Textual binds Ctrl+Q to quit but hides it from the footer: a first run must see how to leave."""
    async def scenario() -> None:
        app = fake_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            footer = (await shown(pilot)).splitlines()[-1]
            assert "^q Quit" in footer, footer
            await pilot.press(*"Who")
            assert app.query_one("#prompt", Input).has_focus
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: app.return_code is not None)
        assert app.return_code == 0

    run(scenario())

# Snapshot (fake engine: deterministic) ----------------------------------------------------------

def test_snapshot_main_screen(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(fake_app(tmp_path), terminal_size=SIZE, run_before=answered)


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
            assert [h.question for h in app.history] == ["Who condemned the attack?"]
            assert app.history[0] == Exchange.of("Who condemned the attack?", reopened)

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
def test_welcome_example_followup_is_answered_about_the_event_of_the_first_answer(
        seeded_session: Any, embedded_engine: Any, tmp_path: Path) -> None:
    """The welcome screen's two questions, asked of the real engine on the bundled seed articles: "it" is the
    attack the first answer tells of, so the follow-up is answered with a condemnation, not the guards again."""
    found = re.search(r"Try: (.+?\?)\s+Then a follow-up: (.+?\?)", WELCOME)
    assert found is not None
    first, followup = found.groups()

    async def scenario() -> None:
        backend = SessionBackend(seeded_session.settings, session=seeded_session, engine=embedded_engine)
        app = ChatApp(seeded_session.settings, backend=backend, store=ConversationStore(tmp_path / "chats.sqlite3"))
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, timeout=120)
            await ask(pilot, first)
            await wait_for(pilot, lambda: len(app.history) == 1, timeout=180)  # answered and saved
            answer = turns(app)[-1].answer
            assert answer is not None and not answer.abstained
            assert any("guards were injured" in c.quote for c in answer.citations)
            await ask(pilot, followup)
            await wait_for(pilot, lambda: len(app.history) == 2, timeout=180)
            standalone = list(app.query(UserTurn))[-1].standalone or ""
            assert standalone.startswith("Who condemned") and "guards" not in standalone, standalone
            answer = turns(app)[-1].answer
            assert answer is not None and not answer.abstained, standalone
            quotes = [c.quote for c in answer.citations]
            assert any("condemn" in q.lower() for q in quotes), quotes
            assert not any("guards" in q.lower() for q in quotes), quotes

    run(scenario())
