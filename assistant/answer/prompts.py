"""Prompt templates, shipped as text files in the package (`assistant/data/prompts/`)."""

from __future__ import annotations

from functools import cache

from assistant.errors import UserError
from assistant.resources import prompt_file


@cache
def load(name: str) -> str:
    """The text of `prompts/<name>.txt`."""
    path = prompt_file(name)
    if not path.is_file():
        raise UserError(f"prompt template {name!r} is missing ({path})")
    return path.read_text(encoding="utf-8").strip()
