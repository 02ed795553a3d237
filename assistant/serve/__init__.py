"""`assistant serve`: one warm service for many users. The HTTP API (`app`: FastAPI routes; `auth`: the bearer
token; `queue`: bounded admission in front of the model; `streaming`: answers as JSON or server-sent events;
`uploads`: articles sent by clients; `service`: the store and models loaded once; `server`: uvicorn), the client
that `ask --server` and `chat --server` use (`client`), and the question cleaning both sides share (`questions`).

Names load on first use, so that importing the package costs nothing until then (`assistant ask` imports
`clean_question` without FastAPI or httpx)."""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Admission": "queue",
    "ApiError": "errors",
    "Cancelled": "queue",
    "Service": "service",
    "ServiceClient": "client",
    "check_bind": "auth",
    "clean_question": "questions",
    "create_app": "app",
    "is_loopback": "auth",
    "run_server": "server",
    "store_error": "errors",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'assistant.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(f"assistant.serve.{_WHERE[name]}"), name)
