"""What the service holds for its whole life: the settings, the store and the models, opened once at start-up on a
helper thread (`/health` says ready only then), and the admission queue every use of the models goes through."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from assistant.config import Settings
from assistant.errors import UserError
from assistant.serve.errors import ApiError, loading, not_found
from assistant.serve.queue import Admission, Cancelled

log = logging.getLogger("assistant.serve")


class Service:
    """The store and models behind the API; every method that uses the models runs on the admission's thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = "loading"  # then "ready", or "failed" (with `error`)
        self.error = ""
        self.session: Any = None
        self.llm: Any = None
        self.model_name = settings.effective_model
        self.admission = Admission(settings.serve_queue)
        self.answered = 0

    # Start-up ---------------------------------------------------------------------------------

    def start_loading(self, on_failure: Callable[[str], None] = lambda message: None) -> threading.Thread:
        """Load the models and open the store on a helper thread; `on_failure(message)` if that fails."""

        def load() -> None:
            try:
                self.load()
            except Exception as exc:
                self.state, self.error = "failed", _one_line(exc)
                log.error("error: %s", self.error)
                on_failure(self.error)

        thread = threading.Thread(target=load, name="serve-load", daemon=True)
        thread.start()
        return thread

    def load(self) -> None:
        """Open the store and load both models as `ask` does (on helper threads at once); ingest the bundled
        articles into an empty store, bring the keyword index up to date, and ready the model's prompt start."""
        from assistant.runtime import llm_for, start_loading

        settings = self.settings
        llm = llm_for(settings, settings.model)
        loading_models = start_loading(settings, llm)
        from assistant.answer import open_session

        session = open_session(settings, llm, loading_models)
        self._ingest_seeds(session)
        session.index_keywords()
        session.warm_up()
        self.session, self.llm = session, llm
        self.model_name = session.engine(llm=llm).model_name
        self.state = "ready"
        log.info("ready: model %s, %d articles", self.model_name, len(session.store.list_articles()))

    @staticmethod
    def _ingest_seeds(session: Any) -> None:
        """Ingest the bundled articles into an empty store, or when it holds them only under files that are gone."""
        from assistant.corpus import seeds_due

        due = seeds_due(session.store)
        if due is None:
            return
        seeds, notice = due
        log.info("%s", notice)
        report = session.ingest([seeds], warn=log.warning, progress=lambda done, total, name: None)
        log.info("%s", report.summary())

    def health(self) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"status": self.state, "model": self.model_name}
        if self.state == "failed":
            body["error"] = self.error
        if self.state == "ready":
            body.update(answered=self.answered, queued=self.admission.admitted, capacity=self.admission.capacity)
        return (200 if self.state == "ready" else 503), body

    def require_ready(self) -> Any:
        """The opened session, or the 503 saying why there is none yet."""
        if self.state == "ready":
            return self.session
        if self.state == "failed":
            raise ApiError(503, "model_unavailable", f"the service could not start: {self.error}")
        raise loading()

    # Answers ----------------------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None, lenient: bool, cancel: threading.Event,
            on_token: Callable[[str], None] | None = None) -> dict[str, Any]:
        """The `ask --json` object for `question`, drafted with `on_token` hearing the tokens; stops with
        `Cancelled` at the next token once `cancel` is set. Runs on the admission's thread.

        A new `Engine` per question (constructing one is cheap): it keeps every text it embedded in memory, which
        in a service that lives for days would only grow (the vector cache on disk keeps them across questions)."""
        engine = self.session.engine(llm=self.llm)

        def token(delta: str) -> None:
            if cancel.is_set():
                raise Cancelled()
            if on_token is not None:
                on_token(delta)

        answer = engine.ask(question, top_k=top_k, lenient=lenient or self.settings.lenient, on_token=token)
        if cancel.is_set():
            raise Cancelled()
        self.answered += 1
        return dict(answer.to_json())

    # Articles ---------------------------------------------------------------------------------

    def sources(self) -> list[dict[str, Any]]:
        """The stored articles as `sources --json` lists them, with their ids."""
        articles = self.require_ready().store.list_articles()
        return [{"id": a.article_id, "source": a.source, "title": a.title, "chunks": a.chunks, **a.metadata}
                for a in articles]

    def article(self, article_id: str) -> dict[str, Any]:
        """One article's record and its stored text (citations' offsets index into that text)."""
        store = self.require_ready().store
        record = store.get_article(article_id)
        text = store.article_text(article_id) if record is not None else None
        if record is None or text is None:
            raise not_found(f"no article with id {article_id}")
        return {"id": record.article_id, "source": record.source, "title": record.title, "chunks": record.chunks,
                "metadata": record.metadata, "text": text}

    def delete(self, article_id: str) -> dict[str, Any]:
        """Remove an article (its chunks, text and record) and bring the keyword index up to date."""
        session = self.require_ready()
        record = session.store.get_article(article_id)
        if record is None:
            raise not_found(f"no article with id {article_id}")
        session.store.remove_articles([article_id])
        session.index_keywords()
        from assistant.serve.uploads import forget_upload

        forget_upload(self.settings, record.source)
        return {"deleted": article_id, "source": record.source}


def _one_line(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0] if text else type(exc).__name__
