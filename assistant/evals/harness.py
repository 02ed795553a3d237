"""Running systems over a gold set: each question asked of each system, its answer scored, a broken question
scored as wrong rather than stopping the run; the tokens providers report are counted on the way."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assistant.errors import UserError
from assistant.evals.answers import SystemAnswer, failed_answer, from_engine_json
from assistant.evals.gold import GoldItem
from assistant.evals.scoring import ArticleTexts, QuestionScore, Support, by_kind, score, totals

Progress = Callable[[int, int, str], None]


class TokenMeter:
    """Counts the tokens LLM providers report, through LlamaIndex's instrumentation events."""

    def __init__(self) -> None:
        self.total = 0
        self.reported = False
        self._handler: Any = None

    def add(self, response: Any) -> None:
        usage = _usage(response)
        if usage is not None:
            self.total += usage
            self.reported = True

    def take(self) -> int | None:
        """Tokens since the last call, or None when the provider reported none."""
        value = self.total if self.reported else None
        self.total, self.reported = 0, False
        return value

    def __enter__(self) -> TokenMeter:
        from llama_index.core.instrumentation import get_dispatcher
        from llama_index.core.instrumentation.event_handlers import BaseEventHandler

        meter = self

        class _Handler(BaseEventHandler):
            def handle(self, event: Any, **kwargs: Any) -> None:
                if type(event).__name__ in ("LLMChatEndEvent", "LLMCompletionEndEvent"):
                    meter.add(getattr(event, "response", None))

        self._handler = _Handler()
        get_dispatcher().add_event_handler(self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        from llama_index.core.instrumentation import get_dispatcher

        handlers = get_dispatcher().event_handlers
        if self._handler in handlers:
            handlers.remove(self._handler)


def _usage(response: Any) -> int | None:
    """Total tokens from a LlamaIndex chat/completion response, when the provider put them there."""
    if response is None:
        return None
    extra = getattr(response, "additional_kwargs", None) or {}
    if "total_tokens" in extra:
        return int(extra["total_tokens"])
    if "prompt_tokens" in extra or "completion_tokens" in extra:
        return int(extra.get("prompt_tokens", 0)) + int(extra.get("completion_tokens", 0))
    raw = getattr(response, "raw", None)
    usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
    if usage is None:
        return None
    total = usage.get("total_tokens") if isinstance(usage, dict) else getattr(usage, "total_tokens", None)
    return int(total) if total else None


def ask_ours(engine: Any, question: str, top_k: int | None, meter: TokenMeter | None = None) -> SystemAnswer:
    """Our engine's answer as a `SystemAnswer`."""
    started = time.perf_counter()
    answer = engine.ask(question, top_k=top_k)
    latency = (time.perf_counter() - started) * 1000
    retrieved = [c.source for c in getattr(answer, "retrieved", [])]
    result = from_engine_json(answer.to_json(), retrieved, latency, meter.take() if meter else None)
    result.features = dict(getattr(answer, "features", {}))
    return result


@dataclass
class EvalResult:
    """Scores of every system on every selected question, plus how the run was set up."""

    items: list[GoldItem]
    scores: dict[str, list[QuestionScore]]
    meta: dict[str, Any]

    def summary(self) -> dict[str, dict[str, Any]]:
        return {system: totals(scores) for system, scores in self.scores.items()}

    def to_json(self) -> dict[str, Any]:
        """The report.json document."""
        return {
            "meta": self.meta,
            "totals": self.summary(),
            "by_kind": {system: by_kind(scores) for system, scores in self.scores.items()},
            "questions": [
                {**asdict(item), "results": {system: asdict(scores[i]) for system, scores in self.scores.items()}}
                for i, item in enumerate(self.items)
            ],
        }


def run_eval(items: Sequence[GoldItem], systems: dict[str, Callable[[str], SystemAnswer]], supports: Support,
             judge: Support | None = None, progress: Progress | None = None,
             meta: dict[str, Any] | None = None) -> EvalResult:
    """Ask every system every question and score the answers; a failed question is scored as wrong."""
    texts = ArticleTexts()
    scores: dict[str, list[QuestionScore]] = {name: [] for name in systems}
    total = len(items) * len(systems)
    done = 0
    for item in items:
        for name, ask in systems.items():
            if progress:
                progress(done, total, f"{name} {item.id}")
            started = time.perf_counter()
            try:
                answer = ask(item.question)
            except UserError:
                raise  # a problem for the user (model server down, bad model name): stop the run
            except Exception as exc:  # one broken question should not hide the others' results
                answer = failed_answer(name, exc, (time.perf_counter() - started) * 1000)
            scores[name].append(score(item, answer, supports, texts, judge))
            done += 1
    if progress:
        progress(total, total, "")
    return EvalResult(list(items), scores, dict(meta or {}))
