"""llama.cpp's state after a prompt's fixed start, kept on disk so that a new process restores it instead of
evaluating it again.

Written for llama-cpp-python 0.3.36 (`WRITTEN_FOR`): a restore writes the state of sequence 0 through llama.cpp's
C API and then `Llama.input_ids` and `Llama.n_tokens`, llama-cpp-python's own record of what its context holds,
which it does not expose for writing (its public `load_state` also copies ~14 MB of logits for SmolLM2's 73
tokens and clears the rest of its 512 x 49,152 logits array). With another release, or `ASSISTANT_NO_COMPAT=1`,
nothing is kept and each process evaluates the start itself. Measured gain: see `MEASURED`.

A file holds one sequence's state (`llama_state_seq_get_data`: its KV cells) and the tokens it covers. Its name
hashes everything the state depends on: the model file (path, size, mtime), the context size, llama-cpp-python's
version and the messages. A SHA-256 of the state is checked on reading: a damaged file is evaluated again and
replaced, never used. Files are written whole (temporary file, then rename); any may be deleted at any time.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from assistant.files import partial_path
from assistant.runtime.compat import applies

WRITTEN_FOR = {"llama-cpp-python": "0.3.36"}
# SmolLM2's 73-token start on 2 cores, idle: evaluated by `prime` 0.26-0.28 s, restored here 2-3 ms, restored through
# the public `save_state`/`load_state` (a 16 MB file) 17-20 ms (132 ms with the file not cached); under a load of
# 6: here 17-37 ms, public 190-240 ms.
MEASURED = "the prompts' start restored in 2-3 ms instead of evaluated in 0.26-0.28 s (2 idle cores)"
FORMAT = 1
_MAGIC = b"ASSISTANT-KV"


def cache_file(folder: Path, model_path: str, context_window: int, messages: list[dict[str, str]]) -> Path:
    """Where the state after `messages` on this model is kept (whether or not it exists yet)."""
    import llama_cpp

    stat = Path(model_path).stat()
    key = json.dumps([FORMAT, llama_cpp.__version__, str(Path(model_path).resolve()), stat.st_size,
                      stat.st_mtime_ns, context_window, messages])
    return folder / f"{Path(model_path).stem}-{hashlib.sha256(key.encode()).hexdigest()[:24]}.kv"


def restore(llama: Any, path: Path) -> bool:
    """Put the state kept in `path` into `llama`'s (fresh) context as its first tokens; False, with the context
    untouched, if there is no such file or it does not check out."""
    import llama_cpp

    try:
        blob = path.read_bytes()
    except OSError:
        return False
    if not blob.startswith(_MAGIC):
        return False
    head_end = len(_MAGIC) + 4
    head_size = int.from_bytes(blob[len(_MAGIC) : head_end], "little")
    try:
        head = json.loads(blob[head_end : head_end + head_size])
        tokens = [int(t) for t in head["tokens"]]
        digest = str(head["sha256"])
    except (ValueError, KeyError, TypeError):
        return False
    state = blob[head_end + head_size :]
    if not tokens or len(tokens) > llama.n_ctx() or hashlib.sha256(state).hexdigest() != digest:
        return False
    buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if not llama_cpp.llama_state_seq_set_data(llama.ctx, buffer, len(state), 0):
        return False
    llama.input_ids[: len(tokens)] = tokens
    llama.n_tokens = len(tokens)
    return True


def save(llama: Any, path: Path) -> None:
    """Keep the state of `llama`'s context (sequence 0: what it has evaluated so far) in `path`."""
    import llama_cpp

    tokens = [int(t) for t in llama.input_ids[: llama.n_tokens]]
    size = llama_cpp.llama_state_seq_get_size(llama.ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(llama.ctx, buffer, size, 0)
    if not tokens or not 0 < written <= size:
        return
    state = bytes(buffer)[:written]
    head = json.dumps({"tokens": tokens, "sha256": hashlib.sha256(state).hexdigest()}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    try:
        partial.write_bytes(_MAGIC + len(head).to_bytes(4, "little") + head + state)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def usable() -> bool:
    """Whether states are kept and restored in this process (else `prime` evaluates the start every time)."""
    return applies(WRITTEN_FOR)


def private_names_missing() -> list[str]:
    """The names this patch relies on that the installed llama-cpp-python lacks."""
    import llama_cpp
    from llama_cpp import Llama

    functions = ("llama_state_seq_get_size", "llama_state_seq_get_data", "llama_state_seq_set_data")
    gone = [f"llama_cpp.{name}" for name in functions if not callable(getattr(llama_cpp, name, None))]
    code = Llama.__init__.__code__.co_names  # attributes `__init__` sets, which a restore writes
    return gone + [f"Llama.{name}" for name in ("input_ids", "n_tokens") if name not in code] + (
        [] if isinstance(getattr(Llama, "ctx", None), property) else ["Llama.ctx"])
