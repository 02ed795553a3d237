"""Articles uploaded to the service: checked whole before anything is written (a bad file is one 400 and nothing
stored), then saved under the data folder's `uploads/` by their file name and ingested exactly as `ingest` would
ingest those files: the same cleaning, the same limits, unchanged ones skipped, a changed one replaced. A client
names a file, never a path on the server."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import UserError
from assistant.serve.errors import ApiError, bad_request

MAX_NAME_CHARS = 200
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass
class Upload:
    """One article as sent: a file name (its suffix says how to read it: .txt, .md, .html) and its bytes."""

    name: str
    data: bytes


def uploads_folder(settings: Settings) -> Path:
    return settings.home / "uploads"


def check_name(name: str) -> str:
    """The file name an upload is stored under; 400 for anything that is not a plain file name."""
    name = name.strip()
    if not name or name in (".", "..") or name.startswith(".") or _BAD_NAME.search(name) or len(name) > MAX_NAME_CHARS:
        raise bad_request(f"not a plain file name: {name[:80]!r} (a name like report.txt, .md or .html)")
    return name


def check_uploads(uploads: Sequence[Upload]) -> None:
    """Every upload readable as `ingest` reads a file, with text in it; else one 400 (413 when too large) naming
    the file and why, before anything is written."""
    from assistant.corpus import read_article

    if not uploads:
        raise bad_request("no articles in the request")
    names = [check_name(u.name) for u in uploads]
    if len(set(names)) != len(names):
        raise bad_request("two articles in the request have the same name")
    with tempfile.TemporaryDirectory(prefix="assistant-upload-") as staging:
        for upload, name in zip(uploads, names, strict=True):
            path = Path(staging) / name
            path.write_bytes(upload.data)
            try:
                article = read_article(path)
            except UserError as exc:
                status, code = (413, "too_large") if str(exc).startswith("too large") else (400, "bad_article")
                raise ApiError(status, code, f"{name}: {exc}") from None
            finally:
                path.unlink(missing_ok=True)
            if not article.sentences:
                raise ApiError(400, "bad_article", f"{name}: no text")


def ingest_uploads(session: Any, settings: Settings, uploads: Sequence[Upload]) -> dict[str, Any]:
    """Save the (checked) uploads and ingest them; a file the ingest did not keep (the same text as another
    article) is put back as it was. Returns the `ingest --json` report plus the stored articles' ids."""
    from assistant.corpus import article_id_for

    folder = uploads_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    previous: dict[Path, bytes | None] = {}
    for upload in uploads:
        path = (folder / check_name(upload.name)).resolve()
        previous[path] = path.read_bytes() if path.is_file() else None
        path.write_bytes(upload.data)
        paths.append(path)
    warnings: list[str] = []
    try:
        report = session.ingest(paths, warn=warnings.append, progress=lambda done, total, name: None)
    except BaseException:
        _restore(previous, set(previous))
        raise
    kept = set(report.ingested) | set(report.unchanged)
    _restore(previous, {p for p in paths if str(p) not in kept})
    return {
        "ingested": report.ingested, "unchanged": report.unchanged,
        "skipped": [{"source": s, "reason": r} for s, r in report.skipped], "chunks": report.chunks,
        "articles": [{"id": article_id_for(s), "source": s} for s in [*report.ingested, *report.unchanged]],
    }


def _restore(previous: dict[Path, bytes | None], paths: set[Path]) -> None:
    for path in paths:
        old = previous[path]
        if old is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(old)


def forget_upload(settings: Settings, source: str) -> None:
    """Delete the saved file of an uploaded article that was deleted (other sources are left alone)."""
    path = Path(source)
    if path.parent == uploads_folder(settings).resolve():
        path.unlink(missing_ok=True)
