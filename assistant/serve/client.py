"""The client of a running `assistant serve`, for `ask --server` and `chat --server`: the same answers, streamed the
same way, without loading a model. Every failure is one `UserError` line: the service's own error message, or why
it could not be reached."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlparse

from assistant.errors import UserError

MAX_BUSY_RETRIES = 5  # 429s waited out (as the service's Retry-After says) before giving up
MAX_RETRY_WAIT = 30.0


class ServiceClient:
    """Calls to one service at `url` (http://host:port), with the bearer `token` when one is set."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 300.0) -> None:
        import httpx

        parsed = urlparse(url if "://" in url else f"http://{url}")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UserError(f"invalid service URL {url!r}: expected http://host:port")
        self.url = f"{parsed.scheme}://{parsed.netloc}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # trust_env=False: a proxy configured for the internet must not see questions to a service on the network
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=httpx.Timeout(timeout, connect=5.0),
                                  trust_env=False)

    def close(self) -> None:
        self._http.close()

    # Calls ------------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """The service's health; `UserError` unless it is ready."""
        body = self._json("GET", "/health", ok_statuses=(200, 503))
        if body.get("status") != "ready":
            detail = f": {body['error']}" if body.get("error") else " (still loading the models: try again shortly)"
            raise UserError(f"the service at {self.url} is not ready{detail}")
        return body

    def ask(self, question: str, top_k: int | None = None, lenient: bool = False,
            conversation: list[str | dict[str, str]] | None = None,
            on_token: Callable[[str], None] | None = None) -> dict[str, Any]:
        """The `ask --json` object; with `on_token`, streamed (server-sent events), the draft's pieces to it."""
        payload: dict[str, Any] = {"question": question, "lenient": lenient}
        if top_k is not None:
            payload["top_k"] = top_k
        if conversation:
            payload["conversation"] = conversation
        if on_token is None:
            return self._json("POST", "/v1/ask", json=payload)
        return self._stream(payload, on_token)

    def sources(self) -> list[dict[str, Any]]:
        return list(self._json("GET", "/v1/sources"))

    def article(self, article_id: str) -> dict[str, Any] | None:
        """The article's record and text, or None when the service has no such article."""
        try:
            return self._json("GET", f"/v1/articles/{quote(article_id, safe='')}")
        except _NotFound:
            return None

    def upload(self, articles: list[tuple[str, str]]) -> dict[str, Any]:
        """Upload (file name, text) pairs; the service's ingest report."""
        body = {"articles": [{"name": name, "text": text} for name, text in articles]}
        return self._json("POST", "/v1/articles", json=body)

    def delete(self, article_id: str) -> dict[str, Any]:
        return self._json("DELETE", f"/v1/articles/{quote(article_id, safe='')}")

    # Plumbing ---------------------------------------------------------------------------------

    def _json(self, method: str, path: str, ok_statuses: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        for attempt in range(MAX_BUSY_RETRIES + 1):
            with self._request(method, path, **kwargs) as response:
                response.read()
                if response.status_code == 429 and attempt < MAX_BUSY_RETRIES:
                    self._wait(response)
                    continue
                if response.status_code not in ok_statuses:
                    raise self._error(response)
                try:
                    return response.json()
                except ValueError:
                    raise UserError(f"the service at {self.url} sent a response that could not be read") from None
        raise AssertionError("unreachable")

    def _stream(self, payload: dict[str, Any], on_token: Callable[[str], None]) -> dict[str, Any]:
        headers = {"Accept": "text/event-stream"}
        for attempt in range(MAX_BUSY_RETRIES + 1):
            with self._request("POST", "/v1/ask", json=payload, headers=headers) as response:
                if response.status_code == 429 and attempt < MAX_BUSY_RETRIES:
                    response.read()
                    self._wait(response)
                    continue
                if response.status_code != 200:
                    response.read()
                    raise self._error(response)
                return self._events(response, on_token)
        raise AssertionError("unreachable")

    def _events(self, response: Any, on_token: Callable[[str], None]) -> dict[str, Any]:
        """Read the event stream: drafts to `on_token`, then the one `answer` (or `error`)."""
        try:
            for event, data in parse_events(response.iter_lines()):
                if event == "draft":
                    on_token(str(data.get("text", "")))
                elif event == "answer":
                    return dict(data)
                elif event == "error":
                    raise UserError(str(data.get("error", {}).get("message", "the service failed")))
        except _transport_errors() as exc:
            raise UserError(f"lost the connection to the service at {self.url} ({type(exc).__name__})") from None
        raise UserError(f"the service at {self.url} ended the answer's stream without an answer")

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import contextlib

        @contextlib.contextmanager
        def opened() -> Iterator[Any]:
            try:
                with self._http.stream(method, path, **kwargs) as response:
                    yield response
            except _transport_errors() as exc:
                raise UserError(f"cannot reach the assistant service at {self.url} ({type(exc).__name__}): "
                                "check that `assistant serve` runs there") from None

        return opened()

    @staticmethod
    def _wait(response: Any) -> None:
        try:
            delay = float(response.headers.get("retry-after", "1"))
        except ValueError:
            delay = 1.0
        time.sleep(min(max(delay, 0.1), MAX_RETRY_WAIT))

    def _error(self, response: Any) -> Exception:
        try:
            error = response.json()["error"]
            message, code = str(error["message"]), str(error.get("code", ""))
        except (ValueError, KeyError, TypeError):
            message, code = f"answered {response.status_code}", ""
        if response.status_code == 404 and code == "not_found":
            return _NotFound(message)
        if response.status_code == 401:
            return UserError(f"the service at {self.url} refused the request (401): {message}; "
                             "check ASSISTANT_API_TOKEN")
        return UserError(message if code else f"the service at {self.url} {message}")


class _NotFound(UserError):
    pass


def _transport_errors() -> tuple[type[Exception], ...]:
    import httpx

    return (httpx.TransportError,)


def parse_events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """(event, parsed data) of a server-sent event stream; comments (pings) are skipped."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", list[str]()
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield event, json.loads("\n".join(data))
