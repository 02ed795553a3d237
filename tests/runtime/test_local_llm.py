"""The local model's runtime: output of other threads survives a model load, and replies are generated on every
CPU only while the CPUs are free (`assistant.runtime.threads`)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.runtime import threads
from assistant.runtime.models import LlamaCppLLM, Message, smollm2_path
from assistant.runtime.threads import SlowTokenWatch, cpu_count, generation_threads, half_the_cpus, other_runnable_tasks

ROOT = Path(__file__).resolve().parents[2]
QUESTION = [Message("system", "Answer in one sentence."), Message("user", "What is the capital of France?")]


def _loadavg(tmp_path: Path, running: str) -> Path:
    path = tmp_path / "loadavg"
    path.write_text(f"0.52 0.61 0.70 {running} 12345\n")
    return path


# Who else is running ---------------------------------------------------------------------------------------

def test_other_runnable_tasks_leaves_out_the_caller(tmp_path: Path) -> None:
    assert other_runnable_tasks(_loadavg(tmp_path, "1/80")) == 0
    assert other_runnable_tasks(_loadavg(tmp_path, "3/80")) == 2
    assert other_runnable_tasks(tmp_path / "missing") is None
    assert other_runnable_tasks(_loadavg(tmp_path, "many")) is None


def test_replies_use_every_cpu_only_when_nothing_else_runs(tmp_path: Path) -> None:
    assert generation_threads(_loadavg(tmp_path, "1/80")) == cpu_count()
    assert generation_threads(_loadavg(tmp_path, "2/80")) == half_the_cpus()
    assert generation_threads(tmp_path / "missing") == half_the_cpus()  # unknown: as before


def test_bigger_machines_keep_half_their_cpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "cpu_count", lambda: 16)
    assert generation_threads(_loadavg(tmp_path, "1/80")) == 8


@pytest.mark.skipif(not Path("/proc/loadavg").is_file(), reason="Linux only")
def test_a_busy_process_is_seen_as_running() -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        others = other_runnable_tasks()
        assert others is not None and others >= 1
        assert generation_threads() == half_the_cpus()
    finally:
        spinner.kill()
        spinner.wait()


def test_a_token_much_slower_than_the_fastest_is_slow() -> None:
    now = [0.0]
    watch = SlowTokenWatch(clock=lambda: now[0])

    def token_after(seconds: float, tokens: int) -> bool:
        now[0] += seconds
        return watch.slow(tokens)

    assert not token_after(0.0, 100)  # the first piece, after the prompt: only starts the clock
    assert not token_after(0.030, 101)
    assert not token_after(0.020, 102)
    assert not token_after(0.0001, 102)  # no new token (a piece held back): not timed
    assert not token_after(0.045, 103)  # 2.25x the fastest (0.020 s, from the last timed call)
    assert not token_after(0.100, 106)  # three tokens at once: 0.033 s each
    assert token_after(0.060, 107)  # 3x the fastest


# The real model ----------------------------------------------------------------------------------------------

def test_output_of_other_threads_survives_a_model_load() -> None:
    """llama-cpp-python's quiet load points stdout and stderr at /dev/null for the whole process."""
    code = """if True:
        import sys, threading, time
        from assistant.runtime.models import LlamaCppLLM, smollm2_path
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

    return int(llama_cpp.llama_n_threads(llm._load()._ctx.ctx))


def test_a_reply_on_free_cpus_uses_all_of_them_and_says_the_same(local_llm: LlamaCppLLM, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    one = LlamaCppLLM(str(smollm2_path()), "smollm2", max_tokens=24, threads=1)
    expected = one.chat_text(QUESTION)
    assert one.reply_threads == [1]

    monkeypatch.setattr(threads, "LOADAVG", _loadavg(tmp_path, "1/80"))
    assert local_llm.chat_text(QUESTION) == expected  # thread counts do not change what the model writes
    # Started on every CPU; on a machine that is in fact busy (the idle loadavg above is made up), it may drop.
    assert local_llm.reply_threads in ([cpu_count()], [cpu_count(), half_the_cpus()])
    assert _threads_of(local_llm) == local_llm.threads  # back to half after the reply


@pytest.mark.skipif(not Path("/proc/loadavg").is_file(), reason="Linux only")
def test_a_reply_while_another_process_is_busy_uses_half_the_cpus(local_llm: LlamaCppLLM) -> None:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert local_llm.chat_text(QUESTION)
        assert local_llm.reply_threads[0] == half_the_cpus()
    finally:
        spinner.kill()
        spinner.wait()


class _SlowingLlama:
    """Stands in for llama-cpp-python's `Llama`: tokens take 10 ms, then 60 ms from the fifth on."""

    n_threads_batch = 2

    def __init__(self) -> None:
        self.n_tokens = 50
        self.thread_counts: list[int] = []
        self._ctx = self

    def set_n_threads(self, n_threads: int, n_threads_batch: int) -> None:
        self.thread_counts.append(n_threads)

    def create_chat_completion(self, **_: Any) -> Iterator[dict[str, Any]]:
        for n in range(8):
            time.sleep(0.06 if n >= 5 else 0.01)
            self.n_tokens += 1
            yield {"choices": [{"delta": {"content": f"w{n} "}}]}


def test_a_reply_drops_to_half_the_cpus_when_its_tokens_slow_down(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "LOADAVG", _loadavg(tmp_path, "1/80"))
    monkeypatch.setattr(threads, "cpu_count", lambda: 4)
    llm = LlamaCppLLM("model.gguf", "m")
    fake = _SlowingLlama()
    llm._llama = fake
    assert llm.chat_text(QUESTION) == "".join(f"w{n} " for n in range(8))  # the reply goes on, whole
    assert llm.reply_threads == [4, 2] and fake.thread_counts == [4, 2, 2]  # all, half, half again after it
