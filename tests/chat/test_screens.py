"""The dialogs: SVG snapshots of an article at its quote and of the keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.chat.helpers import SIZE, answered, fake_app, ready


def test_snapshot_article_screen(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await answered(pilot)
        await pilot.press("f2", "down", "enter")
        await pilot.pause(0.3)

    assert snap_compare(fake_app(tmp_path), terminal_size=SIZE, run_before=before)


def test_snapshot_help_screen(tmp_path: Path, snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause(0.2)

    assert snap_compare(fake_app(tmp_path), terminal_size=SIZE, run_before=before)
