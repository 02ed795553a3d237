"""Settings: environment variables and `.env`, with every piece of state under one data folder."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import UserError

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
EMBEDDED_MODEL = "smollm2"
# Chunks embedded and written together at ingest: bounds memory (~25 MB of texts, word-pieces and vectors) and the
# work an interrupted ingest redoes; sorted by word-pieces within a batch, as `OnnxMiniLM.encode` sorts 4,096 texts
# at a time, so the model computes as much padding as on a bare call (0.4% of tokens; 1.6% with 1,024 per batch).
INGEST_BATCH_CHUNKS = 4096


def data_home() -> Path:
    """The folder that holds all state: `ASSISTANT_HOME` from the environment or, like every other setting,
    from the `.env` file in the current folder; else the platform's user data folder."""
    override = os.environ.get("ASSISTANT_HOME") or _dotenv_value("ASSISTANT_HOME")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("assistant", appauthor=False))


def _dotenv_value(name: str) -> str | None:
    """`name` as set in `./.env` (the file `Settings` reads), or None."""
    path = Path(".env")
    if not path.is_file():
        return None
    from dotenv import dotenv_values

    try:
        value = dotenv_values(path, encoding="utf-8").get(name)
    except (OSError, UnicodeDecodeError):
        return None  # reading the settings reports an unreadable `.env`
    return value.strip() or None if value else None


class Settings(BaseSettings):
    """Every setting, read from the environment or a `.env` file in the current folder."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    model: str | None = Field(default=None, alias="ASSISTANT_MODEL")
    embedding: str = Field(default="minilm", alias="ASSISTANT_EMBEDDING")
    openai_embedding_model: str = Field(default="text-embedding-3-small", alias="ASSISTANT_OPENAI_EMBEDDING_MODEL")
    chroma_url: str | None = Field(default=None, alias="CHROMA_URL")
    collection: str = Field(default="articles", alias="ASSISTANT_COLLECTION")
    top_k: int = Field(default=10, ge=1, le=50, alias="ASSISTANT_TOP_K")
    chunk_tokens: int = Field(default=128, ge=32, le=256, alias="ASSISTANT_CHUNK_TOKENS")
    ingest_batch_chunks: int = Field(default=INGEST_BATCH_CHUNKS, ge=32, le=65536,
                                     alias="ASSISTANT_INGEST_BATCH_CHUNKS")
    max_answer_tokens: int = Field(default=160, ge=16, le=4096, alias="ASSISTANT_MAX_ANSWER_TOKENS")
    request_timeout: float = Field(default=60.0, gt=0, alias="ASSISTANT_REQUEST_TIMEOUT")
    lenient: bool = Field(default=False, alias="ASSISTANT_LENIENT")
    # Answers whose confidence (`assistant.answer.confidence`) is below this are withheld: "The articles do not
    # say." The default and how it was chosen: docs/confidence.md.
    min_confidence: float = Field(default=0.3, ge=0.0, le=1.0, alias="ASSISTANT_MIN_CONFIDENCE")
    # llama.cpp threads for a local GGUF; 0 = automatic: prompts on every CPU (llama-cpp-python's default), replies
    # on every CPU while nothing else runs, else on half (`assistant.runtime.threads`). More threads than free
    # cores makes llama.cpp spin: on 2 busy cores, 2 threads took 5-26 s for what 1 thread wrote in 1 s.
    llm_threads: int = Field(default=0, ge=0, le=256, alias="ASSISTANT_LLM_THREADS")
    # The embedded model's weights: "f16", a copy written once into `<home>/models` (see
    # `assistant.runtime.f16_weights`: prompts evaluated ~2x faster, and closer to exact), or "shipped", the Q4_1
    # file as it ships.
    embedded_weights: Literal["f16", "shipped"] = Field(default="f16", alias="ASSISTANT_EMBEDDED_WEIGHTS")
    # `assistant serve`: the bearer token its clients send (required to bind other than loopback, and for every
    # write), and what `ask --server`/`chat --server` send; a SecretStr so that it is never printed or logged.
    api_token: SecretStr | None = Field(default=None, alias="ASSISTANT_API_TOKEN")
    # Questions waiting for the model beyond the one it answers; more get 429 with Retry-After (bounded memory).
    serve_queue: int = Field(default=8, ge=0, le=1000, alias="ASSISTANT_SERVE_QUEUE")
    # The largest request body the service reads (an upload of article files; a question is far smaller).
    serve_max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, alias="ASSISTANT_SERVE_MAX_BODY_BYTES")
    # Origins allowed to call the service from a browser, comma-separated ("" = CORS off, "*" = any).
    cors_origins: str = Field(default="", alias="ASSISTANT_CORS_ORIGINS")

    @field_validator("openai_api_key", "api_token", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("openai_base_url", "chroma_url", "model", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("embedding")
    @classmethod
    def _known_embedding(cls, value: str) -> str:
        if value not in ("minilm", "openai"):
            raise ValueError("must be 'minilm' or 'openai'")
        return value

    @cached_property
    def home(self) -> Path:
        return data_home()

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def keyword_index_path(self) -> Path:
        return self.home / "keyword"

    @property
    def vector_cache_path(self) -> Path:
        return self.home / "vectors"

    @property
    def prompt_cache_path(self) -> Path:
        return self.home / "prompts"

    @property
    def models_path(self) -> Path:
        return self.home / "models"

    @property
    def provider(self) -> str:
        """`openai-compatible` when a base URL is set, `openai` when a key is, else `embedded`."""
        if self.openai_base_url:
            return "openai-compatible"
        if self.openai_api_key is not None:
            return "openai"
        return "embedded"

    @property
    def effective_model(self) -> str:
        if self.model:
            return self.model
        if self.provider == "openai":
            return DEFAULT_OPENAI_MODEL
        if self.provider == "openai-compatible":
            return "default"
        return EMBEDDED_MODEL

    def public_view(self) -> dict[str, object]:
        """The effective settings for display: the key is reported as set or not, never shown."""
        return {
            "provider": self.provider,
            "model": self.effective_model,
            "openai_api_key": "set" if self.openai_api_key is not None else "not set",
            "openai_base_url": self.openai_base_url,
            "embedding": self.embedding,
            "chroma": self.chroma_url or f"embedded at {self.chroma_path}",
            "collection": self.collection,
            "top_k": self.top_k,
            "chunk_tokens": self.chunk_tokens,
            "ingest_batch_chunks": self.ingest_batch_chunks,
            "lenient": self.lenient,
            "embedded_weights": self.embedded_weights,
            "home": str(self.home),
            "api_token": "set" if self.api_token is not None else "not set",
        }


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value becomes a one-line error naming the variable."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "setting"
        raise UserError(f"invalid setting {name}: {first['msg']}") from None
    updates = {k: v for k, v in overrides.items() if v is not None}
    if updates:
        settings = settings.model_copy(update=updates)
    return settings
