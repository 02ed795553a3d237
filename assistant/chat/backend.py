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
        """Open the store and embedding model; ingest the bundled seeds when the store is empty (or holds them only
        under files that are gone)."""
        from assistant.answer import open_session
        from assistant.corpus import seeds_due

        if self.session is None:
            self.session = open_session(self.settings)
        self.session.warm_up()
        due = seeds_due(self.session.store, "run `assistant ingest FOLDER` or use Ingest a folder (Ctrl+P)")
        if due is not None:
            seeds, message = due
            notice(message)
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


class RemoteEngine:
    """Answers from a running `assistant serve` (`ServiceClient`), streamed as the service drafts them."""

    def __init__(self, client: Any, model_name: str) -> None:
        self.client = client
        self.model_name = model_name

    def ask(self, question: str, top_k: int | None = None, lenient: bool = False,
            on_token: Callable[[str], None] | None = None) -> Answer:
        from assistant.answer import question_marks
        from assistant.chat.conversations import answer_from_json

        answer = answer_from_json(self.client.ask(question, top_k, lenient, on_token=on_token or (lambda _: None)))
        side = answer.conflicts[0].claims[0].value if answer.conflicts and answer.conflicts[0].claims else ""
        for sentence in answer.sentences:  # the reply is the JSON contract, which has no marks: read them here
            if sentence.supported and not sentence.text.startswith("The articles differ"):
                sentence.marks = question_marks(question, sentence.text, side)
        return answer


class RemoteBackend:
    """`chat --server`: the service's store and model instead of this machine's; articles are uploaded to it
    (which needs ASSISTANT_API_TOKEN, as every write to a service does)."""

    def __init__(self, settings: Settings, url: str) -> None:
        from assistant.serve import ServiceClient

        token = settings.api_token.get_secret_value() if settings.api_token else None
        self.client = ServiceClient(url, token)
        self.model_name = ""
        self._texts: dict[str, str | None] = {}

    def open(self, notice: Callable[[str], None], progress: Progress) -> None:
        self.model_name = str(self.client.health().get("model", ""))
        notice(f"Answering through the service at {self.client.url}")

    def engine(self, model: str | None) -> EngineLike:
        if model and model != self.model_name:
            raise UserError(f"the service answers with {self.model_name} only (start it with --model to change)")
        return RemoteEngine(self.client, self.model_name)

    def article_text(self, source: str) -> str | None:
        if source not in self._texts:
            from assistant.corpus import article_id_for

            article = self.client.article(article_id_for(source))
            self._texts[source] = str(article["text"]) if article else None
        return self._texts[source]

    def article_count(self) -> int:
        return len(self.client.sources())

    def ingest(self, paths: list[Path], notice: Callable[[str], None], progress: Progress) -> str:
        """Upload the article files under `paths` (read here, as `ingest` would find them)."""
        from assistant.corpus import find_articles, read_article

        files = list(find_articles(paths))
        articles, skipped = [], 0
        for done, path in enumerate(files):
            progress(done, len(files), path.name)
            try:  # decoded as `ingest` decodes a file
                articles.append((path.name, read_article(path).text))
            except UserError as exc:
                notice(f"skipped {path}: {exc}")
                skipped += 1
        report = self.client.upload(articles) if articles else {"ingested": [], "unchanged": [], "skipped": []}
        progress(len(files), len(files), "")
        self._texts.clear()
        return (f"{len(report['ingested'])} ingested, {len(report['unchanged'])} unchanged, "
                f"{len(report['skipped']) + skipped} skipped (uploaded to {self.client.url})")
