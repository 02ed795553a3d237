"""Shared by the eval tests: two small articles, hand-built answers citing them, three gold questions, and a
transparent stand-in verifier."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.evals.answers import Quote, Sentence, SystemAnswer, canonical
from assistant.evals.gold import GoldItem
from assistant.text import content_terms

ARTICLE = ("Seven of the prime minister's guards were injured in the attack. The attack happened on Sunday.\n"
           "Officials said he was unharmed.\n")
OTHER = "Several members of his protection team were injured. The strike hit his home.\n"


def lexical_support(claim: str, quotes: Sequence[str]) -> bool:
    """A transparent stand-in verifier: every content word and number of the claim is in the quotes."""
    joined = canonical(" ".join(quotes)).split()
    wanted = [w for w in canonical(claim).split() if w.isdigit() or w in {canonical(t) for t in content_terms(claim)}]
    return bool(quotes) and all(w in joined for w in wanted)


def quote(path: Path, text: str, n: int = 1, exact: bool = True) -> Quote:
    body = path.read_text(encoding="utf-8")
    start = body.index(text)
    return Quote(n, str(path), text, start if exact else start + 1, start + len(text))


def answer(text: str, sentences: list[Sentence], citations: list[Quote], abstained: bool = False,
           retrieved: list[str] | None = None, latency: float = 100.0) -> SystemAnswer:
    return SystemAnswer("ours", text, abstained, sentences, citations, retrieved or [], latency)


GUARDS = GoldItem("g1", "How many guards were injured?", ("seven",), ("a.txt",), "answerable")
OFF_TOPIC = GoldItem("u1", "What is the capital of Australia?", (), (), "unanswerable")
CONFLICT = GoldItem("c1", "How many guards were injured?", ("seven", "several"), ("a.txt", "b.txt"), "conflict")
