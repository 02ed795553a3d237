"""The chat's test doubles and Pilot helpers: a fake deterministic engine with the real interface, a fake backend,
and ways to wait for, type into and read the screen."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from assistant.answer import Answer, AnswerSentence, Citation, Claim, Conflict
from assistant.chat.app import ChatApp
from assistant.chat.conversations import ConversationStore
from assistant.chat.widgets import AnswerTurn
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
            AnswerSentence("Seven of the prime minister's guards were injured in the drone attack.", [1], True,
                           [(0, 5)]),
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


async def ask_fake(pilot: Pilot[None], engine: FakeEngine, question: str) -> None:
    """Ask the fake engine `question` and wait until it has answered and the app is free again."""
    done = len(engine.finished) + 1
    await ask(pilot, question)
    await wait_for(pilot, lambda: len(engine.finished) == done and pilot.app.pending is None)  # type: ignore[attr-defined]


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


async def answered(pilot: Pilot[None], lenient: bool = False) -> None:
    """Ready, then one question answered and everything drawn (the state of the snapshots)."""
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
