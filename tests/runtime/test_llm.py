"""The local model (`assistant.runtime.llm.LlamaCppLLM`): its thread counts, output of other threads surviving a
model load (`compat.llama_output`), and replies generated on every CPU only while the CPUs are free
(`assistant.runtime.threads`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.runtime import threads
from assistant.runtime.llm import LlamaCppLLM, Message, llm_for, smollm2_path
from assistant.runtime.threads import cpu_count, half_the_cpus

ROOT = Path(__file__).resolve().parents[2]
QUESTION = [Message("system", "Answer in one sentence."), Message("user", "What is the capital of France?")]


def _loadavg(tmp_path: Path, running: str) -> Path:
    path = tmp_path / "loadavg"
    path.write_text(f"0.52 0.61 0.70 {running} 12345\n")
    return path



def test_local_model_threads_default_to_half_the_cpus_and_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    default = LlamaCppLLM("model.gguf", "m")
    assert default.threads == max(1, len(os.sched_getaffinity(0)) // 2) and default.adapt_threads
    monkeypatch.setenv("ASSISTANT_LLM_THREADS", "3")
    llm = llm_for(load_settings())
    assert llm.threads == 3 and not llm.adapt_threads  # a set count is used as it is, for every reply


# The real model ----------------------------------------------------------------------------------------------

def test_output_of_other_threads_survives_a_model_load() -> None:
    """llama-cpp-python's quiet load points stdout and stderr at /dev/null for the whole process: not with the
    compatibility patch (the plain path: tests/runtime/test_compat.py)."""
    code = """if True:
        import sys, threading, time
        from assistant.runtime.llm import LlamaCppLLM, smollm2_path
        llm = LlamaCppLLM(str(smollm2_path()), "smollm2")
        llm.import_runtime()
        loading = threading.Thread(target=llm._load)
        loading.start()
        lines = 0
        while loading.is_alive() or lines < 20:
            lines += 1
            print(f"out {lines}", flush=True)
            print(f"err {lines}", file=sys.stderr, flush=True)
            time.sleep(0.001)
        print(f"printed {lines}", file=sys.stderr)
    """
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = int(done.stderr.strip().splitlines()[-1].split()[1])
    assert done.stdout.splitlines() == [f"out {n}" for n in range(1, printed + 1)]
    assert done.stderr.splitlines()[:-1] == [f"err {n}" for n in range(1, printed + 1)]


@pytest.fixture(scope="module")
def local_llm() -> Iterator[LlamaCppLLM]:
    yield LlamaCppLLM(str(smollm2_path()), "smollm2", max_tokens=24)


def _threads_of(llm: LlamaCppLLM) -> int:
    import llama_cpp

    return int(llama_cpp.llama_n_threads(llm._load().ctx))


def test_a_reply_on_free_cpus_uses_all_of_them_and_says_the_same(local_llm: LlamaCppLLM, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    one = LlamaCppLLM(str(smollm2_path()), "smollm2", max_tokens=24, threads=1)
    expected = one.chat_text(QUESTION)
    assert one.reply_threads == 1

    monkeypatch.setattr(threads, "LOADAVG", _loadavg(tmp_path, "1/80"))
    assert local_llm.chat_text(QUESTION) == expected  # thread counts do not change what the model writes
    assert local_llm.reply_threads == cpu_count()
    assert _threads_of(local_llm) == local_llm.threads  # back to half after the reply


@pytest.mark.skipif(not Path("/proc/loadavg").is_file(), reason="Linux only")
def test_a_reply_while_another_process_is_busy_uses_half_the_cpus(local_llm: LlamaCppLLM) -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert local_llm.chat_text(QUESTION)
        assert local_llm.reply_threads == half_the_cpus()
    finally:
        spinner.kill()
        spinner.wait()
