"""Files that ship inside the package (`assistant/data/`): prompt templates, the demo articles, their gold set.

Read through `importlib.resources`, so an installed wheel finds them as an editable checkout does.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_path(*parts: str) -> Path:
    """A path under the package's `data/` folder (a plain file system path: the package is never zipped)."""
    return Path(str(files("assistant").joinpath("data", *parts)))


def bundled_seeds() -> Path:
    """The demo articles shipped with the package."""
    return data_path("seeds")


def seed_gold() -> Path:
    """The gold set on the demo articles."""
    return data_path("gold.jsonl")


def prompt_file(name: str) -> Path:
    """The shipped template `prompts/<name>.txt`."""
    return data_path("prompts", f"{name}.txt")
