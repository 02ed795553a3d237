"""Running a question on the model's thread from the event loop: as one JSON answer, or as server-sent events (the
draft's tokens as `draft` events, marked unchecked, then exactly one `answer` event with the verified object, or
one `error` event). When the caller goes away the job is dropped if it has not started, or stopped at the model's
next token, so that its slot in the queue is freed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request

from assistant.serve.errors import ApiError, unavailable
from assistant.serve.queue import Admission, Cancelled

log = logging.getLogger("assistant.serve")
PING_SECONDS = 1.0  # an SSE comment this often while nothing else is sent: proxies keep the stream, gone callers show
POLL_SECONDS = 0.25  # how often a plain request checks that its caller is still there

Job = Callable[[Any, Callable[[str], None] | None], dict[str, Any]]  # (cancel event, on_token) -> answer


def as_api_error(exc: BaseException) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    error = unavailable(exc)
    if error.status == 500:
        log.error("unexpected error while answering", exc_info=exc)
    else:
        log.warning("%s", error.message)
    return error


async def answer_once(request: Request, admission: Admission, job: Job) -> dict[str, Any]:
    """The job's answer; raises its `ApiError` (429 at once when the queue is full)."""
    future, cancel = admission.submit(lambda event: job(event, None))
    waiting = asyncio.wrap_future(future)
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=POLL_SECONDS)
            if done:
                break
            if await request.is_disconnected():
                raise Cancelled()
        return waiting.result()
    except Cancelled:
        raise ApiError(499, "cancelled", "the client went away") from None
    except Exception as exc:
        raise as_api_error(exc) from None
    finally:
        if not future.done():
            cancel.set()
            future.cancel()


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def answer_events(admission: Admission, job: Job) -> AsyncIterator[bytes]:
    """The job queued now (429 raised here, before any event), and its events as they come."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    def on_token(delta: str) -> None:  # on the model's thread
        loop.call_soon_threadsafe(events.put_nowait, ("draft", delta))

    future, cancel = admission.submit(lambda event: job(event, on_token))
    waiting = asyncio.wrap_future(future)
    waiting.add_done_callback(lambda _: events.put_nowait(("done", "")))

    async def stream() -> AsyncIterator[bytes]:
        try:
            while True:
                try:
                    kind, delta = await asyncio.wait_for(events.get(), timeout=PING_SECONDS)
                except TimeoutError:
                    yield b": waiting\n\n"
                    continue
                if kind == "done":
                    break
                yield sse("draft", {"text": delta, "checked": False})
            try:
                answer = waiting.result()
            except Exception as exc:
                yield sse("error", as_api_error(exc).body())
                return
            yield sse("answer", answer)
        finally:
            if not future.done():  # the caller went away: free the slot
                cancel.set()
                future.cancel()

    return stream()
