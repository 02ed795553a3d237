"""Inter-process locks: only one ingest writes to a store at a time (readers never take that lock), and only one
process at a time opens (and on first use creates) an embedded Chroma database."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.errors import UserError


def lock_path(home: Path, store_identity: str) -> Path:
    """The lock file for one store (a folder or a server plus collection), kept in the data folder."""
    key = hashlib.sha256(store_identity.encode("utf-8")).hexdigest()[:16]
    return home / "locks" / f"ingest-{key}.lock"


@contextlib.contextmanager
def ingest_lock(path: Path, warn: Callable[[str], None] = lambda message: None) -> Iterator[None]:
    """Hold an exclusive `flock` on `path`, waiting (and saying so once) while another process holds it.

    The kernel releases the lock when the holder exits, even on `kill -9`, so a stale lock file is harmless.
    """
    with file_lock(path, lambda: warn("another ingest is writing to this store: waiting for it to finish")):
        yield


@contextlib.contextmanager
def file_lock(path: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """An exclusive `flock` on `path` (created if needed); `on_wait` is called once if another process holds it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise UserError(f"cannot create the lock file {path} ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
