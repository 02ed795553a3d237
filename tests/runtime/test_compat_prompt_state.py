"""The primed prompt state of the local model (`LlamaCppLLM.prime`, started by `assistant.runtime.loading.warm_up`):
evaluated, or restored from the data folder (`assistant.runtime.compat.prompt_state`), and answers unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.runtime.llm import LlamaCppLLM, smollm2_path
from assistant.runtime.loading import warm_up


def _primed(settings: Any, folder: Path | None) -> tuple[Any, object]:
    """A fresh local model primed as `ask` primes it, and what `prime` said."""
    llm = LlamaCppLLM(str(smollm2_path()), "smollm2", max_tokens=settings.max_answer_tokens, prompt_cache=folder)
    prepare = warm_up(llm)
    assert prepare is not None
    return llm, prepare()


def _tokens(llm: Any) -> list[int]:
    return [int(t) for t in llm._llama.input_ids[: llm._llama.n_tokens]]


@pytest.mark.slow
def test_a_primed_local_model_reuses_the_system_prompt_and_answers_the_same(seeded_session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`ask` evaluates the fixed start of the prompt while Chroma loads (`warm_up`), or restores it from
    the data folder when an earlier process kept it; the answer's prompt then starts from it, and every answer
    is the one a fresh model gives."""
    settings, folder = seeded_session.settings, tmp_path / "prompts"
    questions = ["How many guards were injured?", "When did Al-Kadhimi become prime minister?",
                 "Who won the 2018 FIFA World Cup?"]
    for n, question in enumerate(questions):
        fresh = seeded_session.engine(llm=LlamaCppLLM(str(smollm2_path()), "smollm2",
                                                      max_tokens=settings.max_answer_tokens)).ask(question)
        for cache in (None, folder):
            llm, status = _primed(settings, cache)
            assert status == ("evaluated" if cache is None or n == 0 else "restored")
            primed = _tokens(llm)
            assert len(primed) > 50  # the system message and the chat template around it
            answer = seeded_session.engine(llm=llm).ask(question)
            assert (answer.answer, answer.abstained) == (fresh.answer, fresh.abstained)
            asked = _tokens(llm)
            shared = next((i for i, (a, b) in enumerate(zip(primed, asked, strict=False)) if a != b), len(primed))
            assert shared >= len(primed) - 8  # all but the end of the primer's short user message is reused


@pytest.mark.slow
def test_a_damaged_prompt_state_is_evaluated_again_and_replaced(seeded_session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, folder = seeded_session.settings, tmp_path / "prompts"
    llm, status = _primed(settings, folder)
    assert status == "evaluated"
    (kept,) = folder.glob("*.kv")
    good, tokens = kept.read_bytes(), _tokens(llm)
    for damaged in (good[:-1] + bytes([good[-1] ^ 1]), good[: len(good) // 2], b"", b"ASSISTANT-KV\xff\xff\xff\x7f{"):
        kept.write_bytes(damaged)
        llm, status = _primed(settings, folder)
        assert (status, _tokens(llm)) == ("evaluated", tokens)
        assert kept.read_bytes() == good  # replaced by a whole one
    llm, status = _primed(settings, folder)
    assert (status, _tokens(llm)) == ("restored", tokens)
