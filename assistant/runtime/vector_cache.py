"""A persistent cache of sentence vectors, so each `ask` does not re-embed the sentences it retrieved.

A vector depends only on the text and the embedding model, so entries never go stale: the cache is
keyed by a hash of the text in one SQLite file per model, safe for several processes at once, and
may be deleted at any time.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

MAX_ENTRIES = 2_000_000  # about 3 GB of 384-d vectors: beyond this, new vectors are not cached


class VectorCache:
    """Text vectors for one embedding model, kept in `<folder>/<model>.sqlite`."""

    def __init__(self, folder: Path, model_name: str, dimension: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
        self.path = folder / f"{safe}.sqlite"
        self.dimension = dimension
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB) WITHOUT ROWID")
        self._full = False

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def embed(self, texts: Sequence[str], compute: Callable[[list[str]], list[list[float]]]) -> list[list[float]]:
        """Vectors of `texts`: cached ones read back, the others computed by `compute` and stored."""
        unique = list(dict.fromkeys(texts))
        keys = {t: self._key(t) for t in unique}
        found: dict[str, list[float]] = {}
        with self._lock:
            for start in range(0, len(unique), 500):
                batch = unique[start : start + 500]
                marks = ",".join("?" * len(batch))
                try:
                    rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})",
                                            [keys[t] for t in batch]).fetchall()
                except sqlite3.OperationalError:  # unreadable just now: compute instead
                    continue
                by_key = dict(rows)
                for text in batch:
                    blob = by_key.get(keys[text])
                    if blob is not None:
                        found[text] = np.frombuffer(blob, dtype=np.float32).tolist()
        missing = [t for t in unique if t not in found]
        if missing:
            vectors = compute(missing)
            found.update(zip(missing, vectors, strict=True))
            self._store([(keys[t], np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(missing, vectors,
                                                                                                strict=True)])
        return [found[t] for t in texts]

    def _store(self, rows: list[tuple[bytes, bytes]]) -> None:
        with self._lock:
            if self._full:
                return
            try:
                (count,) = self._db.execute("SELECT count(*) FROM vectors").fetchone()
                if count >= MAX_ENTRIES:
                    self._full = True
                    return
                self._db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)", rows)
            except sqlite3.OperationalError:  # locked for too long or read-only: the cache is only a cache
                pass

    def close(self) -> None:
        self._db.close()
