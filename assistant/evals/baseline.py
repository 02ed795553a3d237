"""The baseline: LlamaIndex's own `CitationQueryEngine` on our store, retriever and LLM, scored like ours."""

from __future__ import annotations

import re
import time
from typing import Any

from assistant.evals.answers import Quote, SystemAnswer, looks_abstained, split_cited_sentences
from assistant.evals.harness import TokenMeter

_SOURCE_LABEL = re.compile(r"^\s*Source\s+\d+:\s*\n?")


def node_quote(text: str) -> str:
    """A citation node's text without the "Source n:" label CitationQueryEngine puts before it."""
    return _SOURCE_LABEL.sub("", text, count=1).strip()


def to_system_answer(response_text: str, source_nodes: list[Any], latency_ms: float,
                     tokens: int | None = None, retrieved: list[str] | None = None) -> SystemAnswer:
    """A CitationQueryEngine response as a `SystemAnswer`: "[n]" points at source node n; its quote is the node text.

    The node text is a chunk (sentences joined by single spaces), so it has no offsets: verbatim is
    then judged by finding it in the article file.
    """
    text = (response_text or "").strip()
    sentences = split_cited_sentences(text)
    citations: list[Quote] = []
    for n in sorted({n for s in sentences for n in s.citations}):
        if 1 <= n <= len(source_nodes):
            node = source_nodes[n - 1].node
            citations.append(Quote(n, str(node.metadata.get("source", "")), node_quote(node.get_content())))
    known = {c.n for c in citations}
    for sentence in sentences:  # a marker pointing at no source cites nothing
        sentence.citations = [n for n in sentence.citations if n in known]
    sources = retrieved if retrieved is not None else [str(n.node.metadata.get("source", "")) for n in source_nodes]
    abstained = looks_abstained(text)
    return SystemAnswer(
        system="baseline", answer=text, abstained=abstained,
        sentences=[] if abstained else sentences, citations=[] if abstained else citations,
        retrieved=list(dict.fromkeys(sources)), latency_ms=latency_ms, tokens=tokens,
    )


class Baseline:
    """`CitationQueryEngine(retriever=..., llm=...)` with LlamaIndex's default prompts and chunking."""

    def __init__(self, retriever: Any, llm: Any, meter: TokenMeter | None = None) -> None:
        from llama_index.core.query_engine import CitationQueryEngine

        from assistant.evals.adapters import as_llm, as_retriever

        self.engine = CitationQueryEngine(retriever=as_retriever(retriever), llm=as_llm(llm))
        self.meter = meter

    def ask(self, question: str) -> SystemAnswer:
        started = time.perf_counter()
        try:
            response: Any = self.engine.query(question)
        except Exception as exc:
            from assistant.runtime import translate_llm_error

            translated = translate_llm_error(exc)
            if translated is exc:
                raise
            raise translated from None
        latency = (time.perf_counter() - started) * 1000
        return to_system_answer(str(response.response or ""), list(response.source_nodes), latency,
                                self.meter.take() if self.meter else None)
