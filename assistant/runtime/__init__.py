"""What runs the models and the store client: the embedding model (ONNX, torch-free), the LLM (embedded llama.cpp
or an OpenAI-compatible server), and the caches and start-up measures that keep a cold `ask` short."""

from assistant.runtime.compat.chroma_import import LOCAL_CLIENT, SERVER_CLIENT, import_chromadb
from assistant.runtime.embedding import (
    Embedding,
    MiniLMEmbedding,
    count_minilm_tokens,
    embedding_model,
    embedding_name,
    minilm_path,
    minilm_tokenizer,
)
from assistant.runtime.llm import LlamaCppLLM, chat_messages, llm_for, model_label, smollm2_path
from assistant.runtime.loading import Loading, start_loading, warm_up
from assistant.runtime.onnx_embedding import export_onnx, load_onnx_minilm, onnx_cache_dir, onnx_model_file
from assistant.runtime.openai_api import translate_llm_error
from assistant.runtime.vector_cache import VectorCache

__all__ = [
    "LOCAL_CLIENT",
    "SERVER_CLIENT",
    "Embedding",
    "LlamaCppLLM",
    "Loading",
    "MiniLMEmbedding",
    "VectorCache",
    "chat_messages",
    "count_minilm_tokens",
    "embedding_model",
    "embedding_name",
    "export_onnx",
    "import_chromadb",
    "llm_for",
    "load_onnx_minilm",
    "minilm_path",
    "minilm_tokenizer",
    "model_label",
    "onnx_cache_dir",
    "onnx_model_file",
    "smollm2_path",
    "start_loading",
    "translate_llm_error",
    "warm_up",
]
