"""The OpenAI API (OpenAI or a compatible server): its client, and its failures as one-line `UserError`s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.config import Settings
from assistant.errors import UserError

# Retries after the first attempt, in the OpenAI client, for 408/409/429/5xx, timeouts and refused connections:
# exponential backoff from 0.5 s (max 8 s) with jitter, or the server's Retry-After when it sends one (up to 60 s).
MAX_RETRIES = 2


def openai_client(settings: Settings) -> Any:
    """The `openai` client for OpenAI's embeddings: the settings' key, server and timeout, `MAX_RETRIES` retries.
    A key is required by OpenAI itself, not by a compatible server (which gets a placeholder)."""
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if settings.provider == "openai" and not key:
        raise UserError("OPENAI_API_KEY is not set")
    return openai.OpenAI(api_key=key or "not-needed", base_url=settings.openai_base_url,
                         timeout=settings.request_timeout, max_retries=MAX_RETRIES)


def call_openai(call: Callable[[], Any]) -> Any:
    """`call()`, its provider failure raised as the one-line error `translate_llm_error` makes of it."""
    try:
        return call()
    except Exception as exc:
        raise translate_llm_error(exc) from None


def translate_llm_error(exc: BaseException) -> UserError | BaseException:
    """A one-line `UserError` for the usual provider failures (never including the key)."""
    try:
        import openai
    except ImportError:  # pragma: no cover
        return exc
    if isinstance(exc, openai.AuthenticationError):
        return UserError(f"{_server(exc)} refused the API key (401): check OPENAI_API_KEY")
    if isinstance(exc, openai.PermissionDeniedError):
        return UserError("the API key may not use this model (403)")
    if isinstance(exc, openai.NotFoundError):
        return UserError("the server does not know this model (404): check --model / ASSISTANT_MODEL")
    if isinstance(exc, openai.RateLimitError):
        return UserError(f"the server kept answering 429 (rate limit or quota) after {1 + MAX_RETRIES} attempts: "
                         "try again later")
    if isinstance(exc, openai.APITimeoutError):
        return UserError(f"the model server timed out {1 + MAX_RETRIES} times (ASSISTANT_REQUEST_TIMEOUT)")
    if isinstance(exc, openai.APIConnectionError):
        server = _server(exc)
        if server == "https://api.openai.com":  # OpenAI's own: no OPENAI_BASE_URL to check (`.env` included)
            return UserError(f"cannot reach the model server {server}: check the network connection")
        return UserError(f"cannot reach the model server {server}: check OPENAI_BASE_URL and that it runs")
    if isinstance(exc, openai.InternalServerError):
        return UserError(f"the model server failed with {exc.status_code} after {1 + MAX_RETRIES} attempts: "
                         "try again later")
    if isinstance(exc, openai.APIStatusError):
        return UserError(f"the model server answered {exc.status_code}")
    if isinstance(exc, openai.APIError):
        return UserError("the model server sent a response that could not be read")
    if _is_dropped_stream(exc):
        if "Timeout" in type(exc).__name__:
            return UserError("the model server stopped sending the answer (ASSISTANT_REQUEST_TIMEOUT): try again")
        return UserError("the model server closed the connection before the answer was complete: try again")
    if _raised_by_client(exc):  # a body that is not the JSON or event stream the client expects
        return UserError(f"the model server sent a response that could not be read ({type(exc).__name__})")
    return exc


def _server(exc: BaseException) -> str:
    """The server a provider error came from, as `scheme://host[:port]` (never a path, query or key)."""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if url is None or not getattr(url, "host", ""):
        return "the model server"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _is_dropped_stream(exc: BaseException) -> bool:
    """httpx's errors for a connection closed or broken while the answer was streaming (not wrapped by openai)."""
    try:
        import httpx
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.ReadTimeout)


def _raised_by_client(exc: BaseException) -> bool:
    """Whether the exception was raised inside the OpenAI client or LlamaIndex's OpenAI wrappers."""
    import traceback

    frames = [frame.f_globals.get("__name__", "") for frame, _ in traceback.walk_tb(exc.__traceback__)]
    last = str(frames[-1]) if frames else ""
    return last.startswith(("openai", "llama_index.llms.openai", "pydantic")) or (
        isinstance(exc, ValueError | TypeError | KeyError | AttributeError | IndexError)
        and any(str(m).startswith(("openai.", "llama_index.llms.openai")) for m in frames)
    )
