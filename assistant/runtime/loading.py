"""Loading the models on helper threads while the caller goes on (imports, opening the store): a cold `ask`
waits for the slowest of them, not for their sum."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from assistant.config import Settings
from assistant.runtime.embedding import embedding_model
from assistant.runtime.llm import chat_messages


class Loading:
    """Loads (callables; None: nothing) running at once, each on a helper thread of its own, from creation on.

    `wait()` joins them and raises the first error one raised; as a context manager, the block's end waits
    (an error of the block wins over theirs)."""

    def __init__(self, *loads: Callable[[], object] | None) -> None:
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._run, args=(load,), name="warm-up", daemon=True)
                        for load in loads if load]
        for thread in self.threads:
            thread.start()

    def _run(self, load: Callable[[], object]) -> None:
        try:
            load()
        except BaseException as exc:  # handed to the waiting thread
            self.errors.append(exc)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def wait(self) -> None:
        self.join()
        if self.errors:
            raise self.errors[0]

    def __enter__(self) -> Loading:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.wait()
        else:  # the block's error wins
            self.join()


def warm_up(llm: Any) -> Callable[[], object] | None:
    """For a helper thread: load `llm` and evaluate the start every answer prompt has (`LlamaCppLLM.prime`);
    None for a model that is not local. Imports llama.cpp on the calling thread first."""
    from assistant.resources import load_prompt

    prime = getattr(llm, "prime", None)
    if prime is None:
        return None
    llm.import_runtime()
    start = chat_messages(llm, load_prompt("system"), load_prompt("answer").split("{sources}")[0])
    return lambda: prime(start)


def start_loading(settings: Settings, llm: Any = None) -> Loading:
    """Start loading the embedding model the settings name and a local `llm` (`warm_up`), each on a helper
    thread, so that what the caller does meanwhile (imports, opening the store) overlaps them."""
    return Loading(getattr(embedding_model(settings), "_load", None), warm_up(llm))
