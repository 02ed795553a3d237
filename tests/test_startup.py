"""Start-up paths: a light `--help`, no heavy module on the embedded `ask` path, current bytecode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_index.core", "chromadb", "onnxruntime", "llama_cpp")


def test_help_imports_no_heavy_module() -> None:
    """Nor pydantic: the settings' import alone took 0.3 s of a 0.6 s `--help` on a slow host."""
    code = (
        "import json, sys\n"
        "sys.argv = ['assistant', '--help']\n"
        "from assistant.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {(*HEAVY, 'pydantic', 'pydantic_settings')!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert "Usage" in done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_objects_are_frozen_before_the_interpreter_collects_them_at_exit() -> None:
    """`main` freezes the heap at exit, after the atexit handlers registered later, so that Python's last
    collections skip every object (0.3-0.4 s after `ask`). A handler registered before `main` runs after it."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0, flush=True))\n"
        "sys.argv = ['assistant', '--help']\n"
        "from assistant.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "atexit.register(lambda: print('late handler saw frozen:', gc.get_freeze_count() > 0, flush=True))\n"
        "print('frozen before exit:', gc.get_freeze_count() > 0, flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-3:] == [
        "frozen before exit: False", "late handler saw frozen: False", "frozen at exit: True"]


def test_every_module_of_the_project_has_current_bytecode() -> None:
    """`make setup` compiles the project's modules: Python does not write their bytecode itself when
    PYTHONDONTWRITEBYTECODE is set (this machine's environment, many container images), and every `assistant`
    process then compiled them from source (~0.1 s of an `ask`). Bytecode is current when its header holds the
    source's modification time and size (Python's default check); run `make setup` after editing a module."""
    import importlib.util
    import struct

    stale = []
    for source in sorted((ROOT / "assistant").rglob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16] if cached.exists() else b""
        stat = source.stat()
        if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER or struct.unpack("<III", header[4:16]) != (
                0, int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF):
            stale.append(str(source.relative_to(ROOT)))
    assert stale == []


@pytest.mark.slow
def test_ask_on_the_embedded_model_never_imports_llama_index_or_torch(seeded_home: Path) -> None:
    """LlamaIndex costs 1-3 s to import: the embedded `ask` path must not pay for it (nor for torch), nor for
    garbage collections while it starts; its models load while the rest is imported."""
    code = (
        "import gc, json, sys\n"
        "starting = []  # collections once the engine's module is imported and before `ask` froze what it made\n"
        "def seen(phase, info):\n"
        "    if phase == 'start' and 'assistant.answer.engine' in sys.modules and not gc.get_freeze_count():\n"
        "        starting.append(info['generation'])\n"
        "gc.callbacks.append(seen)\n"
        "import importlib.abc, threading\n"
        "loading = []  # helper threads loading the models when the engine's import begins\n"
        "class Watch(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'assistant.answer.engine':\n"
        "            loading.append(sum(t.name == 'warm-up' for t in threading.enumerate()))\n"
        "sys.meta_path.insert(0, Watch())\n"
        "sys.argv = ['assistant', 'ask', '--json', 'How many guards were injured?']\n"
        "from assistant.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "gc.callbacks.remove(seen)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
        "print(json.dumps([starting, gc.isenabled(), gc.get_freeze_count()]))\n"
        "print(json.dumps(loading))\n"
    )
    env = {**os.environ, "ASSISTANT_HOME": str(seeded_home)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    answer_line, modules_line, collector_line, loading_line = done.stdout.strip().splitlines()[-4:]
    assert "seven" in json.loads(answer_line)["answer"].lower()
    assert json.loads(modules_line) == ["chromadb", "llama_cpp", "onnxruntime"]
    # Starting walks no heap (~40 collections while the engine, Chroma and the models load, otherwise); after
    # `ask`, collection is on again and nothing is left frozen.
    assert json.loads(collector_line) == [[], True, 0]
    # The models (ONNX session; llama.cpp weights and prompt start) load while the engine and Chroma are imported.
    (threads,) = json.loads(loading_line)
    assert threads >= 1
