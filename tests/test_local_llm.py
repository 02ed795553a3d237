"""The local model's runtime: output of other threads survives a model load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_output_of_other_threads_survives_a_model_load() -> None:
    """llama-cpp-python's quiet load points stdout and stderr at /dev/null for the whole process."""
    code = """if True:
        import sys, threading, time
        from assistant.models import LlamaCppLLM, smollm2_path
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
