"""Running systems over gold questions, and the tokens providers report."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.errors import UserError
from assistant.evals.answers import Sentence, SystemAnswer
from assistant.evals.harness import _usage, run_eval
from tests.evals.samples import GUARDS, OFF_TOPIC, answer, lexical_support


def test_run_eval_scores_every_system_and_survives_a_broken_question(corpus: dict[str, Path]) -> None:
    def ours(question: str) -> SystemAnswer:
        if "capital" in question:
            raise RuntimeError("boom")
        return answer("Seven guards.", [Sentence("Seven guards.", [])], [])

    seen: list[tuple[int, int, str]] = []
    result = run_eval([GUARDS, OFF_TOPIC], {"ours": ours}, lexical_support,
                      progress=lambda d, t, n: seen.append((d, t, n)))
    assert [s.right for s in result.scores["ours"]] == [True, False]
    assert result.scores["ours"][1].error == "RuntimeError: boom"
    assert seen[-1] == (2, 2, "")
    with pytest.raises(UserError):
        run_eval([GUARDS], {"ours": lambda q: (_ for _ in ()).throw(UserError("server down"))}, lexical_support)


def test_token_usage_from_provider_responses() -> None:
    assert _usage(SimpleNamespace(additional_kwargs={"prompt_tokens": 10, "completion_tokens": 5})) == 15
    assert _usage(SimpleNamespace(additional_kwargs={}, raw={"usage": {"total_tokens": 7}})) == 7
    assert _usage(SimpleNamespace(additional_kwargs={}, raw=None)) is None
