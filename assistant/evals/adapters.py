"""The project's retriever and local LLM as LlamaIndex classes, for LlamaIndex's own query engines.

Imported only where LlamaIndex objects are needed (the `--compare baseline` eval, the benchmarks), so
that `ask` and `chat` on the embedded model never pay for importing LlamaIndex.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from llama_index.core.llms.llm import LLM
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import PrivateAttr

from assistant.runtime import LlamaCppLLM


class LlamaIndexLlamaCpp(CustomLLM):
    """A `LlamaCppLLM` as a LlamaIndex LLM (chat, completion, streaming, instrumentation events)."""

    _local: Any = PrivateAttr(default=None)

    def __init__(self, local: LlamaCppLLM) -> None:
        super().__init__()
        self._local = local

    @property
    def model_label(self) -> str:
        return str(self._local.model_label)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self._local.context_window, num_output=self._local.max_tokens,
                           is_chat_model=True, model_name=self._local.model_label)

    @llm_chat_callback()
    def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
        text = self._local.chat_text(messages, **kwargs)
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Any, **kwargs: Any) -> ChatResponseGen:
        parts = self._local.stream_chat(messages, **kwargs)

        def gen() -> ChatResponseGen:
            for part in parts:
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=part.text), delta=part.delta)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._local.complete(prompt, **kwargs).text)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        parts = self._local.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs)

        def gen() -> CompletionResponseGen:
            for part in parts:
                yield CompletionResponse(text=part.text, delta=part.delta)

        return gen()


def as_llm(llm: Any) -> LLM:
    """`llm` as a LlamaIndex LLM: OpenAI providers already are one; a local GGUF model gets wrapped."""
    if isinstance(llm, LLM):
        return llm
    if isinstance(llm, LlamaCppLLM):
        return LlamaIndexLlamaCpp(llm)
    raise TypeError(f"not an LLM LlamaIndex can use: {type(llm).__name__}")


class LlamaIndexRetriever(BaseRetriever):
    """The hybrid retriever (anything with `retrieve_chunks`) as a LlamaIndex retriever of `TextNode`s."""

    def __init__(self, retriever: Any) -> None:
        super().__init__()
        self.retriever = retriever

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        nodes = []
        for chunk in self.retriever.retrieve_chunks(query_bundle.query_str):
            metadata = {"source": chunk.source, "title": chunk.title}
            node = TextNode(id_=chunk.chunk_id, text=chunk.text, metadata=metadata)
            nodes.append(NodeWithScore(node=node, score=chunk.score))
        return nodes


def as_retriever(retriever: Any) -> BaseRetriever:
    """`retriever` as a LlamaIndex retriever."""
    return retriever if isinstance(retriever, BaseRetriever) else LlamaIndexRetriever(retriever)
