"""The baseline: LlamaIndex's CitationQueryEngine on our retriever and local model."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.evals.baseline import node_quote, to_system_answer
from assistant.evals.scoring import ArticleTexts, score
from tests.evals.samples import GUARDS, lexical_support

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_baseline_runs_llamaindex_on_our_retriever_and_local_model(seeded_session) -> None:  # type: ignore[no-untyped-def]
    """The adapters let LlamaIndex's CitationQueryEngine use the hybrid retriever and the GGUF model."""
    from assistant.evals.baseline import Baseline
    from assistant.runtime import LlamaCppLLM, smollm2_path

    llm = LlamaCppLLM(model_path=str(smollm2_path()), model_label="smollm2", max_tokens=24)
    answer = Baseline(seeded_session.retriever, llm).ask("How many guards were injured?")
    assert answer.error is None and answer.answer
    assert any(source.endswith("004_080663b71aaf09f0.txt") for source in answer.retrieved)


def test_baseline_response_becomes_quotes_from_chunks(corpus: dict[str, Path]) -> None:
    def node(text: str, source: Path) -> SimpleNamespace:
        inner = SimpleNamespace(metadata={"source": str(source)}, get_content=lambda: text)
        return SimpleNamespace(node=inner)

    nodes = [node("Source 1:\nThe attack happened on Sunday. Officials said he was unharmed.\n", corpus["a"]),
             node("Source 2:\nSeveral members of his protection team were injured.\n", corpus["b"])]
    assert node_quote(nodes[0].node.get_content()) == "The attack happened on Sunday. Officials said he was unharmed."
    got = to_system_answer("Several guards were injured [2]. He was unharmed [1][7].", nodes, 50.0)
    assert [c.n for c in got.citations] == [1, 2] and got.sentences[1].citations == [1]
    assert got.retrieved == [str(corpus["a"]), str(corpus["b"])]
    s = score(GUARDS, got, lexical_support, ArticleTexts())
    assert s.verbatim == 1 and s.citations == 2  # chunk 1 spans a line break: not verbatim anywhere
    declined = to_system_answer("None of the sources mention it.", nodes, 10.0)
    assert declined.abstained and not declined.citations
