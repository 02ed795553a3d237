"""The eval tests' articles on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evals.samples import ARTICLE, OTHER


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    a = tmp_path / "a.txt"
    a.write_text(ARTICLE, encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text(OTHER, encoding="utf-8")
    return {"a": a, "b": b}
