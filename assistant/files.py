"""Files written whole: each is written under a temporary name beside it, then renamed into place, so that a
reader, or another process writing the same file at the same time, never sees part of one."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def partial_path(target: Path) -> Path:
    """The temporary name `target` is written under: hidden, beside it (a rename stays on one file system), and
    unique to this process and thread."""
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
