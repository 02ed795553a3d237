"""The corpus tests' session: a store and the embedding model on the test's own data folder."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def session() -> Any:
    from assistant.answer import open_session
    from assistant.config import load_settings

    return open_session(load_settings())
