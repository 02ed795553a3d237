"""Compatibility patches: the only code that reaches into a dependency's private parts, each for a measured gain,
each applied only with the exact releases it was written for (`WRITTEN_FOR` in its module); with any other
release the dependency runs as shipped, and so it does for every patch when `ASSISTANT_NO_COMPAT=1` is set (the
bench reports a cold `ask` that way too, so the plain path's cost is always known).

- `chroma_import`: chromadb's import without `overrides`' signature checks, with stand-ins for three modules it
  never runs here and its settings read once;
- `llama_output`: llama-cpp-python's quiet model load without pointing the whole process's stdout and stderr at
  /dev/null;
- `prompt_state`: llama.cpp's state after the prompts' fixed start, kept on disk and restored by a new process.

`private_names_missing()` in each module lists the private names it uses that the installed release lacks;
tests/runtime/test_compat.py fails, naming the patch, when a release differs from the one written for or a name is
gone: check the names against the new release, then move `WRITTEN_FOR` on.
"""

from __future__ import annotations

import os
from functools import cache

DISABLE = "ASSISTANT_NO_COMPAT"


def disabled() -> bool:
    """Whether every patch is switched off (`ASSISTANT_NO_COMPAT` set to anything but "" or "0")."""
    return os.environ.get(DISABLE, "").strip() not in ("", "0")


@cache
def installed(distribution: str) -> str | None:
    """The installed release of `distribution`, None if it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def applies(written_for: dict[str, str]) -> bool:
    """Whether a patch written for these releases ({distribution: version}) is applied in this process."""
    return not disabled() and all(installed(name) == release for name, release in written_for.items())
