"""Follow-up questions rewritten into standalone ones, so that retrieval sees what the user means.

The embedded model is too small to rewrite questions, so the default rewrite is deterministic: a
follow-up ("and who condemned it?", "what about the guards?", "when?") is combined with the key terms
of the previous (already standalone) question. With a capable LLM the rewrite may be delegated to it
(`llm_rewrite`), falling back to the deterministic one when the model's answer is unusable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.text import STOPWORDS, WORD, stem

_LEAD = re.compile(r"^\s*(?:(?:and|but|also|so|ok(?:ay)?|then|well)\b[\s,]*)+", re.IGNORECASE)
_ABOUT = re.compile(r"^\s*(?:what|how)\s+about\s+(?P<rest>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_PRONOUNS = frozenset({"it", "its", "it's", "they", "them", "their", "theirs", "he", "him", "his", "she", "her",
                       "hers", "itself", "themselves", "himself", "herself"})
_DEMONSTRATIVES = frozenset({"that", "this", "those", "these", "there", "then"})
# Words after a demonstrative that show it stands alone ("why did that happen", "who said this").
_DEMONSTRATIVE_VERBS = frozenset({"happen", "happened", "happens", "mean", "means", "meant", "occur", "occurred",
                                  "take", "took", "cause", "caused", "start", "started", "end", "ended"})
_QUESTION_WORDS = frozenset({"who", "whom", "whose", "what", "when", "where", "why", "how", "which", "many", "much",
                             "did", "does", "do", "was", "were", "is", "are", "has", "have", "had"})
_GENERIC = frozenset(stem(w) for w in ("happen", "happened", "occur", "occurred", "exactly", "say", "said", "tell",
                                       "report", "reported", "mention", "mentioned", "else", "other", "again",
                                       "respond", "responded", "react", "reacted", "mean", "know", "detail",
                                       "details", "more"))
_ASKS = re.compile(r"\b(?:who|whom|whose|what|when|where|why|how|which)\b|^(?:is|was|were|are|did|does|do|has|have"
                   r"|had|can|could|will|would)\b", re.IGNORECASE)
MAX_CONTEXT_TERMS = 8


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """The words of `text` that name things, as written (stop words, question words and fillers dropped)."""
    out = []
    for word in WORD.findall(text):
        low = word.lower().replace("’", "'")
        if low in STOPWORDS or low in _QUESTION_WORDS or low in _PRONOUNS or stem(low) in _GENERIC:
            continue
        out.append(word)
    return out


def is_followup(question: str) -> bool:
    """Whether `question` leans on the conversation: it starts with "and"/"what about", has a pronoun,
    or names nothing at all ("when?", "who did it?")."""
    if _LEAD.match(question) or _ABOUT.match(question):
        return True
    tokens = _words(question)
    if any(t in _PRONOUNS for t in tokens):
        return True
    for i, token in enumerate(tokens):
        if token in _DEMONSTRATIVES:
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if not following or following in _DEMONSTRATIVE_VERBS:
                return True
    return not content_words(question)


def _key_terms(previous: str, exclude: Sequence[str]) -> list[str]:
    """The previous question's content words, as written, minus those the follow-up already has."""
    seen = {stem(w.lower()) for w in exclude}
    terms = []
    for word in content_words(previous):
        key = stem(word.lower())
        if key in seen:
            continue
        seen.add(key)
        terms.append(word)
    return terms[:MAX_CONTEXT_TERMS]


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def rewrite(question: str, history: Sequence[str]) -> str:
    """A standalone version of `question` given the earlier standalone questions (oldest first).

    Standalone questions come back unchanged (trimmed). A follow-up keeps its own question word, so
    the engine still sees what kind of answer is wanted, and gains the previous question's key terms:
    "and who condemned it?" after "Who attacked the prime minister's residence?" becomes
    "Who condemned it (attacked prime minister's residence)?".
    """
    question = question.strip()
    previous = next((h.strip() for h in reversed(history) if h.strip()), "")
    if not question or not previous or not is_followup(question):
        return question
    about = _ABOUT.match(question)
    if about:
        # "what about the guards?" asks the previous question again about something else.
        topic = about.group("rest")
        return f"{previous.rstrip(' ?.!')}, and what about {topic}?"
    body = _LEAD.sub("", question).strip() or question
    body = body.rstrip(" ?.!")
    if not _ASKS.search(body):
        # "and the guards?" has no question word: ask the previous question about it.
        return f"{previous.rstrip(' ?.!')}, and {body}?"
    terms = _key_terms(previous, content_words(body))
    if not terms:
        return _sentence_case(body) + "?"
    return f"{_sentence_case(body)} ({' '.join(terms)})?"


def llm_rewrite(llm: Any, question: str, history: Sequence[str]) -> str:
    """Let a capable LLM rewrite the follow-up; the deterministic rewrite is used if it fails or rambles."""
    fallback = rewrite(question, history)
    if not history or not is_followup(question):
        return fallback
    earlier = "\n".join(f"- {h}" for h in history[-3:])
    prompt = ("Rewrite the last question of a conversation about news articles into one standalone question "
              "that names what the pronouns refer to. Reply with the question only.\n"
              f"Earlier questions:\n{earlier}\nLast question: {question}\nStandalone question:")
    try:
        text = str(llm.complete(prompt).text).strip().strip('"').splitlines()[0].strip()
    except Exception:
        return fallback
    if not text or len(text) > 300 or "?" not in text:
        return fallback
    return text
