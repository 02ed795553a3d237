"""What the chat app reads and asks through: a `ChatBackend` (the store, the models, the articles). The real one,
`SessionBackend`, wraps `open_session`; tests may pass a fake. Every method may be slow: the app calls them on
worker threads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from assistant.answer import KEYWORD_INDEX_STEP, Answer
from assistant.config import Settings
from assistant.errors import UserError

Progress = Callable[[int, int, str], None]


class EngineLike(Protocol):
    """What the app needs of `assistant.answer.engine.Engine`."""

    model_name: str

    def ask(self, question: str, top_k: int | None = None, lenient: bool = False,
            on_token: Callable[[str], None] | None = None) -> Answer: ...


class ChatBackend(Protocol):
    """Store, models and articles as the app uses them; every method may be slow (called in threads)."""

    def open(self, notice: Callable[[str], None], progress: Progress) -> None: ...

    def engine(self, model: str | None) -> EngineLike: ...

    def article_text(self, source: str) -> str | None: ...

    def article_count(self) -> int: ...

    def ingest(self, paths: list[Path], notice: Callable[[str], None], progress: Progress) -> str: ...


class SessionBackend:
    """The real backend: the Chroma store, the embedding model and the LLMs of `open_session`."""

    def __init__(self, settings: Settings, session: Any = None, engine: EngineLike | None = None) -> None:
        self.settings = settings
        self.session = session
        self._engines: dict[str, EngineLike] = {}
        if engine is not None:
            self._engines[engine.model_name] = engine
        self._texts: dict[str, str | None] = {}

    def open(self, notice: Callable[[str], None], progress: Progress) -> None:
        """Open the store and embedding model; ingest the bundled seeds when the store is empty."""
        from assistant.answer import open_session
        from assistant.resources import bundled_seeds

        if self.session is None:
            self.session = open_session(self.settings)
        self.session.warm_up()
        if self.session.store.is_empty():
            seeds = bundled_seeds()
            if not seeds.is_dir():
                raise UserError("the store is empty: run `assistant ingest FOLDER` or use Ingest a folder (Ctrl+P)")
            notice(f"The store is empty: ingesting the bundled articles in {seeds} first.")
            report = self.session.ingest([seeds], warn=notice, progress=progress)
            notice(report.summary())
        else:  # articles changed since the keyword index was last brought up to date: now, not at the first question
            self.session.index_keywords(lambda done, total: progress(done, total, KEYWORD_INDEX_STEP))

    def engine(self, model: str | None) -> EngineLike:
        """The engine for a model name (cached); the model is loaded now rather than on the first question."""
        key = model or self.settings.effective_model
        if key not in self._engines:
            from assistant.runtime import warm_up

            engine = self.session.engine(model)
            # A local GGUF model loads lazily: load it, and evaluate the start of its prompts, before the first ask.
            prepare = warm_up(engine.llm)
            if prepare is not None:
                prepare()
            self._engines[key] = engine
        return self._engines[key]

    def article_text(self, source: str) -> str | None:
        """The article's stored original text (offsets of citations point into it)."""
        if source not in self._texts:
            from assistant.corpus import article_id_for

            text = self.session.store.article_text(article_id_for(source)) if self.session else None
            if text is None:
                try:
                    text = Path(source).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    text = None
            self._texts[source] = text
        return self._texts[source]

    def article_count(self) -> int:
        return len(self.session.store.list_articles()) if self.session else 0

    def ingest(self, paths: list[Path], notice: Callable[[str], None], progress: Progress) -> str:
        report = self.session.ingest(paths, warn=notice, progress=progress)
        self._texts.clear()
        return report.summary()
