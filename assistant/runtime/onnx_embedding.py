"""A torch-free all-MiniLM-L6-v2: an ONNX export made once (with torch), then onnxruntime + tokenizers.

The export wraps the bundled BERT model with sentence-transformers' own head (mean pooling over the
attention mask, then L2 normalization), so the ONNX graph returns the final 384-d vectors; they match
`SentenceTransformer.encode(..., normalize_embeddings=True)` to about 1e-7. The file is cached in the
data folder (`<home>/onnx/`) under a name derived from the model files, so a changed model re-exports.
Loading it later imports neither torch nor transformers: about 0.3 s instead of about 4 s.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.files import partial_path

log = logging.getLogger(__name__)

OPSET = 17
BATCH_SIZE = 32
DIMENSION = 384
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_OUTPUT = "sentence_embedding"
_PROBES = ("How many of the prime minister's guards were injured?", "short",
           "Central banks raised interest rates again on Thursday, citing inflation. " * 12)


def onnx_cache_dir() -> Path:
    """`<data home>/onnx`: where exported models are kept (the same folder `Settings().home` names)."""
    from assistant.config import data_home

    return data_home() / "onnx"


def _fingerprint(model_dir: Path) -> str:
    """A short hash of the model's configuration and weights file size, naming the export."""
    digest = hashlib.sha256()
    for name in ("config.json", "sentence_bert_config.json", "tokenizer.json", "1_Pooling/config.json"):
        path = model_dir / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b"-"))
    weights = model_dir / "model.safetensors"
    digest.update(str(weights.stat().st_size if weights.is_file() else 0).encode())
    return digest.hexdigest()[:12]


def onnx_model_file(model_dir: Path, cache_dir: Path | None = None) -> Path:
    """Where the export of `model_dir` lives (whether or not it exists yet)."""
    return (cache_dir or onnx_cache_dir()) / f"all-MiniLM-L6-v2-{_fingerprint(model_dir)}-opset{OPSET}.onnx"


def _max_seq_length(model_dir: Path) -> int:
    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export `model_dir` (BERT + mean pooling + normalize) to `target` with torch, checking the result.

    Uses torch's TorchScript ("legacy") exporter, which needs no `onnx` package: when `onnx` is missing,
    the one step that needs it (merging custom onnx-script functions, of which this model has none) is skipped.
    The file appears atomically, so concurrent processes never read half an export.
    """
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    encoder = Encoder().eval()
    ones = torch.ones(2, 8, dtype=torch.long)
    sample = (ones, ones, torch.zeros(2, 8, dtype=torch.long))
    axes = {name: {0: "batch", 1: "tokens"} for name in _INPUTS} | {_OUTPUT: {0: "batch"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target)

    def run_export() -> None:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(encoder, sample, str(partial), input_names=list(_INPUTS), output_names=[_OUTPUT],
                              dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False)

    try:
        try:
            run_export()
        except Exception as exc:
            if "onnx is not installed" not in str(exc):
                raise
            from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

            original = onnx_proto_utils._add_onnxscript_fn
            onnx_proto_utils._add_onnxscript_fn = lambda model_bytes, custom_opsets: model_bytes
            try:
                run_export()
            finally:
                onnx_proto_utils._add_onnxscript_fn = original
        _check_export(partial, model_dir, encoder)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _check_export(path: Path, model_dir: Path, encoder: Any) -> None:
    """Refuse an export whose vectors differ from the torch model's by more than 1e-5."""
    import torch

    onnx_model = OnnxMiniLM(path, model_dir)
    feeds = onnx_model.features(list(_PROBES))
    expected = encoder(*(torch.from_numpy(feeds[name]) for name in _INPUTS)).detach().numpy()
    got = onnx_model.run(feeds)
    error = float(np.abs(expected - got).max())
    if error > 1e-5:
        raise RuntimeError(f"the ONNX export differs from the torch model by {error:.2e}")


@lru_cache(maxsize=4)
def plain_tokenizer(model_dir: Path) -> Any:
    """`model_dir`'s tokenizer without padding or truncation, for true word-piece counts (one per folder)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()  # the shipped file pads and truncates to 128
    tokenizer.no_truncation()
    return tokenizer


_ENCODE_WINDOW = 4096  # texts tokenized and sorted together by `encode` (padding 0.4% of tokens vs 0.05% for all)


class OnnxMiniLM:
    """all-MiniLM-L6-v2 on onnxruntime: `encode(texts)` gives normalized float32 vectors, one row per text."""

    def __init__(self, onnx_file: Path, model_dir: Path, threads: int | None = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or max(1, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting on shared CPUs
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # sentence-transformers truncates at max_seq_length (256 here), not the file's 128, and pads per batch.
        self.max_length = _max_seq_length(model_dir)
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        cls_id, sep_id = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        if cls_id is None or sep_id is None:
            raise RuntimeError(f"{model_dir / 'tokenizer.json'} has no [CLS] or [SEP] token")
        self._special = (cls_id, sep_id)
        self._pieces = plain_tokenizer(model_dir)
        self._lock = threading.Lock()

    def features(self, texts: list[str], pieces: Sequence[Sequence[int]] | None = None) -> dict[str, np.ndarray]:
        """Token ids, attention mask and token types of `texts`, padded to the longest.

        `pieces`, when given, are the texts' word-piece ids without [CLS]/[SEP] (what this tokenizer makes of
        them without special tokens), so that texts tokenized already are not tokenized again.
        """
        if pieces is None:
            encodings = self.tokenizer.encode_batch(texts)
            return {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
        cls, sep = self._special
        rows = [[cls, *ids[: self.max_length - 2], sep] for ids in pieces]  # truncated as the tokenizer truncates
        input_ids = np.zeros((len(rows), max(map(len, rows), default=0)), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, ids in enumerate(rows):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        with self._lock:
            return self._infer(feeds)

    def _infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.session.run([_OUTPUT], feeds)[0], dtype=np.float32)

    def run_overlapped(self, feeds: dict[str, np.ndarray], work: Callable[[], object]) -> np.ndarray:
        """`run(feeds)` on a helper thread while this thread calls `work()`, which may hold the GIL for a while
        (Chroma's writes do): `work` starts once the model is computing (ONNX Runtime releases the GIL), with the
        same threads as `run`."""
        computing = threading.Event()
        outcome: list[Any] = []

        def compute() -> None:
            try:
                with self._lock:
                    computing.set()  # this thread keeps the GIL until `session.run` releases it
                    outcome.append(self._infer(feeds))
            except BaseException as exc:
                outcome.append(exc)
            finally:
                computing.set()

        helper = threading.Thread(target=compute, name="onnx-run", daemon=True)
        helper.start()
        computing.wait()
        try:
            work()
        finally:
            helper.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE,
               pieces: Sequence[Sequence[int]] | None = None, meanwhile: Callable[[], object] | None = None,
               progress: Callable[[int], object] | None = None) -> np.ndarray:
        """Vectors for `texts` in their order; each model call gets texts of similar word-piece counts, so that
        little of it is padding (sorted by characters instead, 7% of the tokens computed were padding on the
        bench's corpus; by word-pieces, 0.05%).

        `pieces`: the texts' word-piece ids, if known (see `features`); otherwise the texts are tokenized here,
        `_ENCODE_WINDOW` at a time (all 32,000 chunks of the bench's large corpus at once held 190 MB of ids).
        `meanwhile`: called during each model call (`run_overlapped`); `progress`: gets the count of texts done.
        """
        if pieces is None and len(texts) > _ENCODE_WINDOW:
            parts = []
            for start in range(0, len(texts), _ENCODE_WINDOW):
                def shifted(done: int, start: int = start) -> None:
                    if progress is not None:
                        progress(start + done)
                parts.append(self.encode(texts[start : start + _ENCODE_WINDOW], batch_size, None, meanwhile, shifted))
            return np.concatenate(parts)
        if pieces is None:
            pieces = [e.ids for e in self._pieces.encode_batch(list(texts), add_special_tokens=False)]
        out: np.ndarray | None = None
        order = sorted(range(len(texts)), key=lambda i: -len(pieces[i]))
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            feeds = self.features([texts[i] for i in index], [pieces[i] for i in index])
            vectors = self.run(feeds) if meanwhile is None else self.run_overlapped(feeds, meanwhile)
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[index] = vectors
            if progress is not None:
                progress(start + len(index))
        return out if out is not None else np.zeros((0, DIMENSION), dtype=np.float32)


def mapped_model_file(export: Path) -> Path:
    """Where the fast-loading form of `export` lives: the same graph, with ONNX Runtime's basic (machine-independent)
    optimizations applied, and its weights in a data file beside it (`.data`), which ONNX Runtime maps into memory
    instead of copying them out of the model file: a session takes ~0.09 s to create instead of ~0.35 s."""
    return export.with_name(f"{export.stem}-mapped.onnx")


def _write_mapped_model(export: Path, model_dir: Path) -> bool:
    """Write `mapped_model_file(export)` and its data file, both under their final names only once complete and
    checked to give `export`'s vectors exactly; False if that cannot be done (a read-only folder, ...)."""
    import shutil

    import onnxruntime

    target = mapped_model_file(export)
    work = partial_path(target)  # a folder: the mapped model and its data file are written in it, then renamed
    try:
        work.mkdir(parents=True, exist_ok=True)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(work / target.name)
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name",
                                         target.with_suffix(".data").name)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        onnxruntime.InferenceSession(str(export), options, providers=["CPUExecutionProvider"])
        written, original = OnnxMiniLM(work / target.name, model_dir), OnnxMiniLM(export, model_dir)
        feeds = original.features(list(_PROBES))
        if not np.array_equal(written.run(feeds), original.run(feeds)):
            log.warning("the mapped form of %s gives other vectors: not used", export.name)
            return False
        os.replace(work / target.with_suffix(".data").name, target.with_suffix(".data"))  # the data first
        os.replace(work / target.name, target)
        return True
    except Exception as exc:  # OSError, or onnxruntime's errors (which derive from Exception only)
        log.warning("cannot write the mapped form of %s (%s): the export is loaded instead", export.name, exc)
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_onnx_minilm(model_dir: Path, cache_dir: Path | None = None, export: bool = True) -> OnnxMiniLM | None:
    """The ONNX model for `model_dir`, exporting it first (once, needs torch) when `export` is set; loaded from its
    mapped form (`mapped_model_file`), which is written once from the export, when that works."""
    target = onnx_model_file(model_dir, cache_dir)
    if not target.is_file():
        if not export:
            return None
        log.info("exporting %s to %s (once)", model_dir.name, target)
        export_onnx(model_dir, target)
    mapped = mapped_model_file(target)
    for _ in range(2):  # a damaged or missing data file: written again once, else the export is loaded
        if not mapped.is_file() and not _write_mapped_model(target, model_dir):
            break
        try:
            return OnnxMiniLM(mapped, model_dir)
        except Exception as exc:  # onnxruntime's errors derive from Exception only
            log.warning("cannot load %s (%s)", mapped.name, exc)
            mapped.unlink(missing_ok=True)
    return OnnxMiniLM(target, model_dir)
