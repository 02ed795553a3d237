"""Who may use the service: on loopback anyone on the machine may ask, unless a token is set; any other bind needs
`ASSISTANT_API_TOKEN`, and every write (upload, delete) needs it even on loopback. The token travels as a bearer
token, is compared in constant time, and is never logged or echoed."""

from __future__ import annotations

import ipaddress
import secrets

from assistant.errors import UserError
from assistant.serve.errors import ApiError

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """Whether binding `host` serves this machine only (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise UserError(f"serving on {host} (not loopback) needs ASSISTANT_API_TOKEN: set it to a long random "
                        "string, and give it to the clients")


def check_request(authorization: str | None, token: str | None, write: bool) -> None:
    """Raise the `ApiError` for a request that may not go on: 401 without the right bearer token when the service
    has a token, and for every write (a service without a token takes none: nothing could authorise it)."""
    if token is None:
        if write:
            raise ApiError(401, "unauthorized", "uploads and deletions need a bearer token, and this service has "
                                                "none: start it with ASSISTANT_API_TOKEN set",
                           {"WWW-Authenticate": "Bearer"})
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "unauthorized", "a bearer token is required (Authorization: Bearer <token>)",
                       {"WWW-Authenticate": "Bearer"})
    if not secrets.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        raise ApiError(401, "unauthorized", "the bearer token is not valid", {"WWW-Authenticate": "Bearer"})
