"""Who may use the service: loopback binds, the bearer token, writes."""

from __future__ import annotations

import pytest

from assistant.errors import UserError
from assistant.serve import ApiError, check_bind, is_loopback
from assistant.serve.auth import check_request


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org", ""])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_binding_beyond_loopback_needs_a_token() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-token")
    with pytest.raises(UserError, match="ASSISTANT_API_TOKEN"):
        check_bind("0.0.0.0", None)


def _status(authorization: str | None, token: str | None, write: bool) -> int:
    try:
        check_request(authorization, token, write)
    except ApiError as exc:
        assert exc.status == 401 and exc.headers == {"WWW-Authenticate": "Bearer"}
        assert token is None or token not in exc.message
        return exc.status
    return 200


def test_reads_are_open_on_a_service_without_a_token_and_writes_are_not() -> None:
    assert _status(None, None, write=False) == 200
    assert _status(None, None, write=True) == 401
    assert _status("Bearer anything", None, write=True) == 401


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer wrong", "Bearer secret-x"])
def test_a_missing_or_wrong_token_is_401(header: str | None) -> None:
    assert _status(header, "secret", write=False) == 401
    assert _status(header, "secret", write=True) == 401


def test_the_right_token_passes_for_reads_and_writes() -> None:
    assert _status("Bearer secret", "secret", write=False) == 200
    assert _status("bearer  secret ", "secret", write=True) == 200


def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    calls: list[tuple[bytes, bytes]] = []
    original = secrets.compare_digest

    def compare(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(secrets, "compare_digest", compare)
    _status("Bearer guess", "secret", write=False)
    assert calls == [(b"guess", b"secret")]
