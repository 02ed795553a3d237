"""Model loading: thread defaults, warm-ups, and the primed prompt state of the local model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_index.core", "chromadb", "onnxruntime", "llama_cpp")


def _last_json_line(code: str, home: Path | None = None) -> Any:
    """Run `code` in a fresh interpreter (its data under `home`, if given), which must exit 0; the last line it
    printed, parsed as JSON."""
    env = {**os.environ, "ASSISTANT_HOME": str(home)} if home is not None else None
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])



def test_local_model_threads_default_to_half_the_cpus_and_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.runtime.models import LlamaCppLLM, llm_for

    default = LlamaCppLLM("model.gguf", "m")
    assert default.threads == max(1, len(os.sched_getaffinity(0)) // 2) and default.adapt_threads
    monkeypatch.setenv("ASSISTANT_LLM_THREADS", "3")
    llm = llm_for(load_settings())
    assert llm.threads == 3 and not llm.adapt_threads  # a set count is used as it is, for every reply


def test_a_failed_warm_up_is_raised_in_the_asking_thread() -> None:
    from assistant.runtime.models import Loading

    def fail() -> None:
        raise RuntimeError("cannot load")

    ran = []
    with pytest.raises(RuntimeError, match="cannot load"), Loading(fail):
        ran.append(True)
    assert ran == [True]


def test_warm_ups_run_at_once_and_each_error_is_raised() -> None:
    import threading

    from assistant.runtime.models import Loading

    both = threading.Barrier(2, timeout=10)  # each waits for the other: only passes if they run at the same time
    with Loading(both.wait, None, both.wait):
        pass

    def fail() -> None:
        raise RuntimeError("cannot load")

    with pytest.raises(RuntimeError, match="cannot load"), Loading(lambda: None, fail):
        pass


def _primed(settings: Any, folder: Path | None) -> tuple[Any, object]:
    """A fresh local model primed as `ask` primes it, and what `prime` said."""
    from assistant.runtime.models import LlamaCppLLM, smollm2_path, warm_up

    llm = LlamaCppLLM(str(smollm2_path()), "smollm2", max_tokens=settings.max_answer_tokens, prompt_cache=folder)
    prepare = warm_up(llm)
    assert prepare is not None
    return llm, prepare()


def _tokens(llm: Any) -> list[int]:
    return [int(t) for t in llm._llama.input_ids[: llm._llama.n_tokens]]


@pytest.mark.slow
def test_a_primed_local_model_reuses_the_system_prompt_and_answers_the_same(seeded_session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`ask` evaluates the fixed start of the prompt while Chroma loads (`models.warm_up`), or restores it from
    the data folder when an earlier process kept it; the answer's prompt then starts from it, and every answer
    is the one a fresh model gives."""
    from assistant.runtime.models import LlamaCppLLM, smollm2_path

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
