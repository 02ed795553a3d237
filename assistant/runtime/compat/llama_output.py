"""llama-cpp-python's quiet model load, without silencing the rest of the process.

Written for llama-cpp-python 0.3.36 (`WRITTEN_FOR`). With `verbose=False` it points the process's stdout and stderr
(file descriptors 1 and 2) at /dev/null while it loads a model (its private `suppress_stdout_stderr`, in
`llama_cpp.llama` and `llama_cpp._internals`), so what other threads write meanwhile is lost: the answer or an
error while `ask` loads the model on a helper thread, the chat's screen. Measured: 208 of 266 lines printed from
the main thread during a load never arrived (abetlen/llama-cpp-python#1874); with the patch, all of them.
llama.cpp's own messages go through a log callback that the same setting already quiets (errors only), so the
redirection is made to do nothing. With another release, or `ASSISTANT_NO_COMPAT=1`, the load redirects as shipped.
"""

from __future__ import annotations

from assistant.runtime.compat import applies

WRITTEN_FOR = {"llama-cpp-python": "0.3.36"}


class _NoRedirection:
    def __init__(self, disable: bool = True) -> None:
        pass

    def __enter__(self) -> _NoRedirection:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def keep_output_streams() -> bool:
    """Make llama-cpp-python's model loads leave stdout and stderr alone; whether it was done."""
    if not applies(WRITTEN_FOR):
        return False
    import llama_cpp.llama
    from llama_cpp import _internals

    for module in (llama_cpp.llama, _internals):
        module.suppress_stdout_stderr = _NoRedirection  # type: ignore[attr-defined]
    return True


def private_names_missing() -> list[str]:
    """The private names this patch replaces that the installed llama-cpp-python lacks."""
    import llama_cpp.llama
    from llama_cpp import _internals

    return [f"{module.__name__}.suppress_stdout_stderr" for module in (llama_cpp.llama, _internals)
            if not hasattr(module, "suppress_stdout_stderr")]
