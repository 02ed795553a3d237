"""The service's errors: one JSON shape, `{"error": {"code", "message"}}`, with the HTTP status that says what
went wrong, and never a traceback (the message of an unexpected exception is not sent either: it may hold paths
or data of the server)."""

from __future__ import annotations

from typing import Any

from assistant.errors import UserError


class ApiError(Exception):
    """An error answered as `status` with `{"error": {"code": code, "message": message}}`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large",
                    f"the request body is larger than {limit:,} bytes (ASSISTANT_SERVE_MAX_BODY_BYTES)")


def busy(retry_after: int) -> ApiError:
    return ApiError(429, "busy", f"the model is busy with other questions: try again in {retry_after} s",
                    {"Retry-After": str(retry_after)})


def loading() -> ApiError:
    return ApiError(503, "loading", "the models are still loading: try again shortly", {"Retry-After": "2"})


def unavailable(exc: BaseException) -> ApiError:
    """What a failure while answering becomes: the store (Chroma server) or model server being away is a 503 that
    names which; anything else a 500 without its details (they are in the server's log)."""
    from assistant.runtime import translate_llm_error

    lost = store_error(exc)
    if lost is not None:
        return ApiError(503, "store_unavailable", str(lost))
    translated = exc if isinstance(exc, UserError) else translate_llm_error(exc)
    if isinstance(translated, UserError):
        message = str(translated).splitlines()[0] if str(translated) else type(exc).__name__
        code = "store_unavailable" if "chroma" in message.lower() else "model_unavailable"
        return ApiError(503, code, message)
    return ApiError(500, "internal", f"unexpected {type(exc).__name__} (see the service's log)")


def store_error(exc: BaseException) -> UserError | None:
    """A clear message when a Chroma server went away in the middle of a command or request, else None."""
    import traceback

    modules = {str(frame.f_globals.get("__name__", "")) for frame, _ in traceback.walk_tb(exc.__traceback__)}
    if not any(m.startswith("chromadb") for m in modules):
        return None
    if any(type(e).__module__.startswith(("httpx", "httpcore")) or isinstance(e, ConnectionError)
           for e in _chain(exc)):
        return UserError(f"lost the connection to the Chroma server ({type(exc).__name__}): "
                         "check that it runs, then try again")
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
