"""Files that ship inside the package (`assistant/data/`): prompt templates, the demo articles, their gold set.

A module of its own, importing nothing heavy: the model loader reads the prompt templates before the answer
path is imported.

Read through `importlib.resources`, so an installed wheel finds them as an editable checkout does.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from assistant.errors import UserError


def data_path(*parts: str) -> Path:
    """A path under the package's `data/` folder (a plain file system path: the package is never zipped)."""
    return Path(str(files("assistant").joinpath("data", *parts)))


def bundled_seeds() -> Path:
    """The demo articles shipped with the package."""
    return data_path("seeds")


def seed_gold() -> Path:
    """The gold set on the demo articles."""
    return data_path("gold.jsonl")


@cache
def load_prompt(name: str) -> str:
    """The text of the shipped prompt template `prompts/<name>.txt`."""
    path = data_path("prompts", f"{name}.txt")
    if not path.is_file():
        raise UserError(f"prompt template {name!r} is missing ({path})")
    return path.read_text(encoding="utf-8").strip()
