"""Hand-built evidence shared by the verifier and conflict tests: four reports of the guards hurt in the
attack, which disagree on how many, and a statement by Ned Price; and a retriever serving invented articles."""

from __future__ import annotations

import datetime as dt

from assistant.answer import Citation, Engine, Evidence
from assistant.corpus import StoredChunk
from assistant.text import sentence_spans

GUARDS_7 = Evidence(
    "a.txt",
    "A",
    "a",
    10,
    90,
    "Two Iraqi officials told the media that seven of Al Kadhimi's security guards were injured.",
)
GUARDS_7B = Evidence(
    "d.txt",
    "D",
    "d",
    5,
    60,
    "Two Iraqi officials have informed that 7 of Al-Kadhimi's security guards were injured in the attack.",
)
GUARDS_SEVERAL = Evidence(
    "b.txt", "B", "b", 0, 80, "However, several members of Kadhimi's personal protection team were injured."
)
GUARDS_FEW = Evidence(
    "c.txt", "C", "c", 0, 70, "A booby-trapped drone targeted that location, wounding a few of his residence guards."
)
PRICE = Evidence("a.txt", "A", "a", 100, 160, '"We strongly condemn it," spokesman Ned Price said in a statement.')
POOL = [GUARDS_7, GUARDS_SEVERAL, GUARDS_FEW, PRICE, GUARDS_7B]


class ArticlesRetriever:
    """Invented articles ({source: (title, text)}) as one chunk each, whatever the question (retrieval is not what
    the tests using it test)."""

    def __init__(self, articles: dict[str, tuple[str, str]], dates: dict[str, dt.date] | None = None) -> None:
        self.articles = articles
        self.dates = dates or {}  # source -> publication day

    def newest_date(self) -> dt.date | None:
        return max(self.dates.values(), default=None)

    def retrieve_chunks(self, question: str, top_k: int, not_before: dt.date | None = None) -> list[StoredChunk]:
        chunks = []
        for n, (source, (title, text)) in enumerate(self.articles.items()):
            if not_before and self.dates.get(source, not_before) < not_before:
                continue
            spans = [(s.start, s.end) for s in sentence_spans(text)]
            joined = " ".join(text[a:b] for a, b in spans)
            chunks.append(StoredChunk(f"{n:024x}:0", f"{n:024x}", source, title, joined, spans))
        return chunks

    def engine(self, embed_model: object, draft: str) -> Engine:
        """An engine over these articles whose model drafts `draft`, whatever it is asked."""
        from tests.answer.test_engine import ScriptedLLM

        return Engine(self, ScriptedLLM(draft), embed_model, "scripted", 10)

    def verbatim(self, citation: Citation) -> bool:
        """Whether the citation's quote is its article's text at the offsets it gives."""
        return self.articles[citation.source][1][citation.start : citation.end] == citation.quote
