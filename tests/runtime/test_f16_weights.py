"""The embedded model runs from an F16 copy of the Q4_1 weights it ships with (`assistant.runtime.f16_weights`)."""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.runtime.f16_weights import f16_file, write_f16_copy
from assistant.runtime.llm import Message, llm_for, smollm2_path

pytestmark = pytest.mark.slow

PROBE = b"The prime minister of Iraq survived a drone attack on his residence in"


def _next_token_logits(path: Path) -> np.ndarray:
    import llama_cpp

    llama = llama_cpp.Llama(model_path=str(path), n_ctx=256, verbose=False, seed=0)
    llama.eval(llama.tokenize(PROBE))
    logits = llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1)
    return np.ctypeslib.as_array(logits, shape=(llama.n_vocab(),)).copy()


def _metadata(path: Path) -> dict[str, str]:
    import llama_cpp

    return dict(llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False).metadata)


def test_the_embedded_model_loads_an_f16_copy_written_once_into_the_data_folder() -> None:
    settings = load_settings()
    llm = llm_for(settings)
    llama = llm._load()
    copy = f16_file(smollm2_path(), settings.models_path)
    assert Path(llm.loaded_path) == copy and copy.is_file()
    assert sorted(p.name for p in settings.models_path.iterdir()) == [copy.name]  # no temporary file left
    assert llama.metadata["general.file_type"] == "1"  # LLAMA_FTYPE_MOSTLY_F16
    shipped = _metadata(smollm2_path())
    assert shipped["general.file_type"] == "3"  # Q4_1
    # The same model: every other key (architecture, tokenizer, chat template, ...) is the shipped file's.
    assert {k: v for k, v in llama.metadata.items() if k != "general.file_type"} == {
        k: v for k, v in shipped.items() if k != "general.file_type"}

    written = copy.stat().st_mtime_ns
    again = llm_for(settings)
    again._load()
    assert Path(again.loaded_path) == copy and copy.stat().st_mtime_ns == written  # written once


def test_the_copy_computes_the_shipped_weights_closer_to_exact_than_the_shipped_file(tmp_path: Path) -> None:
    """An F32 copy holds the Q4_1 weights exactly and computes in F32: the reference."""
    import llama_cpp

    source = smollm2_path()
    exact_file = tmp_path / "f32.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype, params.allow_requantize = llama_cpp.LLAMA_FTYPE_ALL_F32, True
    assert llama_cpp.llama_model_quantize(str(source).encode(), str(exact_file).encode(), ctypes.byref(params)) == 0
    copy = tmp_path / "copy-f16.gguf"
    assert write_f16_copy(source, copy, threads=2)

    exact, ours, shipped = (_next_token_logits(p) for p in (exact_file, copy, source))
    error_ours, error_shipped = np.abs(ours - exact).max(), np.abs(shipped - exact).max()
    assert error_ours < 0.1 and error_ours < error_shipped / 5, (error_ours, error_shipped)  # measured 0.035 / 0.63
    assert ours.argmax() == exact.argmax()


def test_a_damaged_copy_is_written_again() -> None:
    settings = load_settings()
    llm_for(settings)._load()
    copy = f16_file(smollm2_path(), settings.models_path)
    size = copy.stat().st_size
    with copy.open("r+b") as handle:
        handle.truncate(size // 2)

    llm = llm_for(settings)
    llm._load()
    assert Path(llm.loaded_path) == copy and copy.stat().st_size == size
    assert llm.chat_text([Message("user", "Say hello.")], max_tokens=4)


def test_when_the_copy_cannot_be_written_the_shipped_file_is_loaded(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings()
    settings.home.mkdir(parents=True)
    settings.models_path.write_text("a file where the folder would be")

    llm = llm_for(settings)
    with caplog.at_level(logging.WARNING):
        llm._load()
    assert llm.loaded_path == str(smollm2_path())
    assert "cannot write the F16 copy" in caplog.text and "the shipped file is loaded instead" in caplog.text


def test_the_shipped_weights_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDED_WEIGHTS", "shipped")
    settings = load_settings()
    llm = llm_for(settings)
    llm._load()
    assert llm.loaded_path == str(smollm2_path()) and not settings.models_path.exists()


def test_a_model_given_by_path_is_loaded_as_it_is(tmp_path: Path) -> None:
    """Only the embedded default gets a copy: a user's own GGUF (maybe 7B) is never converted."""
    gguf = tmp_path / "mine.gguf"
    gguf.symlink_to(smollm2_path())
    settings = load_settings()
    llm = llm_for(settings, str(gguf))
    llm._load()
    assert llm.loaded_path == str(gguf) and not settings.models_path.exists()


def test_a_copy_of_an_earlier_shipped_file_is_deleted_when_a_new_one_is_written(tmp_path: Path) -> None:
    """A reinstalled or upgraded package gives the shipped file another time or size, hence a new copy."""
    source = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    source.symlink_to(smollm2_path())
    folder = tmp_path / "models"
    folder.mkdir()
    earlier = folder / "SmolLM2-135M-Instruct.Q4_1-000000000000-f16.gguf"
    earlier.write_bytes(b"an earlier copy")
    other_model = folder / "another-model-000000000000-f16.gguf"
    other_model.write_bytes(b"not a copy of this file")

    copy = f16_file(source, folder)
    assert write_f16_copy(source, copy, threads=2)
    assert sorted(p.name for p in folder.iterdir()) == sorted([copy.name, other_model.name])
