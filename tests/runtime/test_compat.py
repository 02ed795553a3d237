"""The compatibility patches (`assistant.runtime.compat`): each is written for the installed releases and finds
the private names it uses (else these tests fail, naming it), none applies with ASSISTANT_NO_COMPAT=1 or another
release, and each plain path works."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from assistant.runtime import compat

ROOT = Path(__file__).resolve().parents[2]
PATCHES: dict[str, ModuleType] = {name: importlib.import_module(f"assistant.runtime.compat.{name}")
                                  for name in ("chroma_import", "llama_output", "prompt_state")}


@pytest.mark.parametrize("name", sorted(PATCHES))
def test_each_patch_is_written_for_the_installed_releases_and_finds_its_private_names(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(compat.DISABLE, raising=False)
    patch = PATCHES[name]
    installed = {distribution: compat.installed(distribution) for distribution in patch.WRITTEN_FOR}
    assert installed == patch.WRITTEN_FOR, (
        f"compat.{name} was written for {patch.WRITTEN_FOR}, but {installed} is installed, so it is switched off "
        "and the plain path runs: check the private names it uses against these releases, measure its gain again, "
        "then move WRITTEN_FOR on")
    assert patch.private_names_missing() == [], f"compat.{name}: private names gone from the installed releases"
    assert compat.applies(patch.WRITTEN_FOR)


def test_a_private_name_gone_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import llama_cpp.llama

    monkeypatch.delattr(llama_cpp.llama, "suppress_stdout_stderr")
    assert PATCHES["llama_output"].private_names_missing() == ["llama_cpp.llama.suppress_stdout_stderr"]


def test_no_compat_or_another_release_switches_the_patches_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(compat.DISABLE, "1")
    assert not any(compat.applies(patch.WRITTEN_FOR) for patch in PATCHES.values())
    monkeypatch.setenv(compat.DISABLE, "0")
    assert all(compat.applies(patch.WRITTEN_FOR) for patch in PATCHES.values())
    assert not compat.applies({"chromadb": "0.0.1"}) and not compat.applies({"no-such-distribution": "1.0"})


def _run(code: str, home: Path, plain: bool, *args: str) -> Any:
    """`code` in a fresh interpreter with its data under `home`, with the patches or without; its last line's JSON."""
    env = {**os.environ, "ASSISTANT_HOME": str(home)}
    env.pop(compat.DISABLE, None)
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**env, compat.DISABLE: "1"} if plain else env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_plain_chromadb_import_opens_a_store(tmp_path: Path) -> None:
    """Without the patch: the real `@override` and pydantic-settings' method throughout, no stand-in modules, and
    a store works."""
    code = (
        "import json, sys, overrides\n"
        "from pydantic_settings import BaseSettings\n"
        "real = overrides.override, BaseSettings.__dict__['_settings_build_values']\n"
        "seen = []\n"
        "import importlib.abc\n"
        "class Watch(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        seen.append((overrides.override, BaseSettings.__dict__['_settings_build_values']) == real)\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from assistant.runtime.compat.chroma_import import DEFERRED, LOCAL_CLIENT, import_chromadb\n"
        "from assistant.config import load_settings\n"
        "from assistant.corpus import open_store\n"
        "import_chromadb(*LOCAL_CLIENT)\n"
        "store = open_store(load_settings(), 'all-MiniLM-L6-v2')\n"
        "stand_ins = [n for n, m in sys.modules.items() if getattr(m, '_assistant_stand_in', False)]\n"
        "print(json.dumps({'empty': store.is_empty(), 'untouched': all(seen), 'imports': len(seen) > 100,\n"
        "                  'stand_ins': stand_ins}))\n"
    )
    assert _run(code, tmp_path, plain=True) == {"empty": True, "untouched": True, "imports": True, "stand_ins": []}


_LLAMA = """if True:
    import json, sys
    from pathlib import Path
    import llama_cpp._utils, llama_cpp.llama
    from assistant.runtime.llm import LlamaCppLLM, Message, smollm2_path
    from assistant.runtime.loading import warm_up
    folder = Path(sys.argv[1])
    statuses = []
    for _ in range(2):
        llm = LlamaCppLLM(str(smollm2_path()), "smollm2", max_tokens=16, prompt_cache=folder)
        statuses.append(warm_up(llm)())
    question = "What is the capital of France?"
    reply = llm.chat_text([Message("system", "Answer in one sentence."), Message("user", question)])
    print(json.dumps({"statuses": statuses, "kept": len(list(folder.glob("*.kv"))), "reply": reply,
                      "redirects": llama_cpp.llama.suppress_stdout_stderr is llama_cpp._utils.suppress_stdout_stderr}))
"""


def test_the_plain_llama_cpp_path_evaluates_the_prompt_and_answers_the_same(tmp_path: Path) -> None:
    """Without the patches llama-cpp-python loads as shipped (its own redirection of the output) and every
    process evaluates the prompts' start (nothing kept on disk); the reply is the patched path's."""
    plain = _run(_LLAMA, tmp_path / "plain", True, str(tmp_path / "plain-states"))
    patched = _run(_LLAMA, tmp_path / "patched", False, str(tmp_path / "patched-states"))
    assert plain["statuses"] == ["evaluated", "evaluated"] and plain["kept"] == 0 and plain["redirects"]
    assert patched["statuses"] == ["evaluated", "restored"] and patched["kept"] == 1 and not patched["redirects"]
    assert plain["reply"] == patched["reply"] and "Paris" in plain["reply"]
