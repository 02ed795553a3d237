"""The embedded model's weights in F16, written once into the data folder from the Q4_1 GGUF that ships with it.

Each Q4_1 weight is `d * q + m` (a 4-bit `q`, two F16 scalars per block of 32); the copy stores those values as
F16 (rounded to 11 significant bits), so it is the same model. llama.cpp evaluates prompts through its F16 matrix
kernels about twice as fast on this 2-core machine (~400 tokens/s instead of ~190) and generates a little slower
(~36 ms a token instead of ~23), and it computes closer to an exact evaluation of the weights: against an F32
copy, the largest next-token logit error is ~0.03 instead of ~0.6 (the Q4_1 kernels round the activations to 8
bits), and the 54 eval answers are the F32 copy's, word for word (the Q4_1 file's differ in 5).

The copy takes ~270 MB (the shipped file ~98 MB) and ~2 s to write; it is written whole (a temporary file, then
a rename), named after the shipped file's path, size and modification time (a copy of an earlier file is deleted
when a new one is written), and may be deleted at any time.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.files import partial_path

log = logging.getLogger(__name__)


def f16_file(source: Path, folder: Path) -> Path:
    """Where the F16 copy of `source` is kept (whether or not it exists yet)."""
    stat = source.stat()
    key = json.dumps([str(source.resolve()), stat.st_size, stat.st_mtime_ns])
    return folder / f"{source.stem}-{hashlib.sha256(key.encode()).hexdigest()[:12]}-f16.gguf"


def write_f16_copy(source: Path, target: Path, threads: int) -> bool:
    """Write `target`, the F16 copy of `source`, under its name only once complete; False if that cannot be
    done (a read-only folder, a full disk, ...), with a warning."""
    import llama_cpp

    partial = partial_path(target)
    log.info("writing an F16 copy of %s to %s (once)", source.name, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_F16
        params.allow_requantize = True  # the source is quantized: dequantized, then stored as F16
        params.nthread = threads
        with _llama_log_quiet():
            failed = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(),
                                                    ctypes.byref(params))
        if failed:
            raise OSError("llama.cpp could not write it")
        os.replace(partial, target)
        _remove_older_copies(source, target)
        return True
    except OSError as exc:
        log.warning("cannot write the F16 copy of %s (%s): the shipped file is loaded instead", source.name, exc)
        return False
    finally:
        with contextlib.suppress(OSError):  # e.g. the folder is not one
            partial.unlink(missing_ok=True)


def _remove_older_copies(source: Path, kept: Path) -> None:
    """Copies of an earlier `source` (the package was upgraded or reinstalled: another size or time) are not
    loaded any more: ~270 MB each. A process that has one loaded keeps it until it exits."""
    for old in kept.parent.glob(f"{source.stem}-*-f16.gguf"):
        if old != kept:
            with contextlib.suppress(OSError):
                old.unlink()


@contextmanager
def _llama_log_quiet() -> Iterator[None]:
    """llama.cpp logs each tensor it writes unless llama-cpp-python's logger is at ERROR (as `Llama(verbose=False)`
    leaves it)."""
    logger = logging.getLogger("llama-cpp-python")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
