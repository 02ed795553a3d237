"""The main screen's widgets: answers and sources shown as text (never markup), the [n] links and the sources
panel that open articles, the conversation column that follows new text only while the user is at the bottom, and
the sources panel's SVG snapshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from assistant.chat.screens import ArticleScreen
from assistant.chat.widgets import AnswerTurn
from tests.chat.helpers import SIZE, answered, ask, fake_app, ready, run, shown, turns, wait_for


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


def test_snapshot_sources_panel(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await answered(pilot, lenient=True)
        await pilot.press("f2", "down")
        pilot.app.clear_notifications()
        await pilot.pause(0.2)

    assert snap_compare(fake_app(tmp_path), terminal_size=SIZE, run_before=before)
