"""Prompt templates, kept as text files in the project's `prompts/` folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from assistant.errors import UserError

_FOLDERS = (Path(__file__).resolve().parent.parent / "prompts", Path(__file__).resolve().parent / "prompts")


@cache
def load(name: str) -> str:
    """The text of `prompts/<name>.txt`."""
    for folder in _FOLDERS:
        path = folder / f"{name}.txt"
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    raise UserError(f"prompt template {name!r} is missing (looked in {', '.join(map(str, _FOLDERS))})")
