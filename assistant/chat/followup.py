"""Follow-up questions rewritten into standalone ones, so that retrieval sees what the user means.

The conversation is a list of `Exchange`s: each earlier standalone question with its verified answer. The
embedded model is too small to rewrite questions, so the default rewrite is deterministic. A pronoun ("and who
condemned it?", "why did that happen?") is resolved to the event or thing the previous answer is about, found by
the grammar of its sentences (`assistant.chat.referents`): after "How many of the prime minister's guards were
injured?" answered "... 7 of Al-Kadhimi's security guards were injured in the attack", "it" is "the attack". Other
follow-ups ("what about the guards?", "when?"), and pronouns when there is no answer to look in, are combined with
the previous question. With a capable LLM the rewrite may be delegated to it (`llm_rewrite`), falling back to the
deterministic one when the model's answer is unusable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.answer import ABSTAIN_TEXT, Answer
from assistant.chat import referents
from assistant.text import STOPWORDS, WORD, stem

_LEAD = re.compile(r"^\s*(?:(?:and|but|also|so|ok(?:ay)?|then|well)\b[\s,]*)+", re.IGNORECASE)
_ABOUT = re.compile(r"^\s*(?:what|how)\s+about\s+(?P<rest>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
_DEMONSTRATIVES = frozenset({"that", "this", "those", "these", "there", "then"})
_PRONOUNS = (referents.SINGULAR | referents.PLURAL | referents.PERSONAL) - _DEMONSTRATIVES  # "it", "they", "her"
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
MAX_CONTEXT_NAMES = 3
_ANSWER_SENTENCES = 2  # of an answer, where a pronoun's referent is looked for


@dataclass(frozen=True)
class Exchange:
    """An earlier turn of the conversation: its standalone question, and what its verified answer said (its
    supported sentences and its cited quotes; nothing when it abstained, failed or was cancelled)."""

    question: str
    sentences: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()

    @classmethod
    def of(cls, question: str, answer: Answer | None) -> Exchange:
        if answer is None or answer.abstained:
            return cls(question)
        sentences = tuple(s.text for s in answer.sentences
                          if s.supported and not (answer.conflicts and s.text.startswith("The articles differ")))
        return cls(question, sentences, tuple(c.quote for c in answer.citations))

    @classmethod
    def from_text(cls, question: str, answer: str) -> Exchange:
        """An exchange from an answer's text as `ask --json` gives it ("Seven guards were hurt [1]. The articles
        differ: ..."): its sentences without markers, the conflict line and an abstention left out."""
        from assistant.answer import parse_markers
        from assistant.text import sentence_spans

        if answer.strip() in ("", ABSTAIN_TEXT):
            return cls(question)
        sentences = (parse_markers(answer[s.start : s.end])[0] for s in sentence_spans(answer))
        return cls(question, tuple(s for s in sentences if s and not s.startswith("The articles differ")))

    @property
    def answer(self) -> str:
        return " ".join(self.sentences)


Turn = Exchange | str  # a bare string is a question whose answer is unknown


def _words(text: str) -> list[str]:
    return [referents.plain(w) for w in WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """The words of `text` that name things, as written (stop words, question words and fillers dropped)."""
    out = []
    for word in WORD.findall(text):
        low = referents.plain(word)
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


def _exchange(turn: Turn) -> Exchange:
    return turn if isinstance(turn, Exchange) else Exchange(turn)


def _first_pronoun(body: str) -> re.Match[str] | None:
    """The first pronoun of `body` that stands for something ("it", "they", "her"; "that" or "this" only when it
    stands alone before a verb such as "happen" or after a preposition: "what happened after that?")."""
    found = list(WORD.finditer(body))
    for i, match in enumerate(found):
        low = referents.plain(match.group(0))
        if low in _PRONOUNS and low not in ("itself", "themselves", "himself", "herself"):
            return match
        if low in ("that", "this", "these", "those"):
            following = found[i + 1].group(0).lower() if i + 1 < len(found) else ""
            previous = found[i - 1].group(0).lower() if i > 0 else ""
            if following in _DEMONSTRATIVE_VERBS or (not following and previous in referents.PREPOSITIONS):
                return match
    return None


def _substitute(body: str, match: re.Match[str], phrase: str) -> str:
    """`body` with the pronoun `match` replaced by `phrase`, in the pronoun's case ("its" -> "the deal's")."""
    low = referents.plain(match.group(0))
    rest = body[match.end():]
    following = WORD.match(rest.lstrip())
    possessive = low in ("its", "their", "theirs", "his", "hers") or (
        low == "her" and following is not None and following.group(0).lower() not in STOPWORDS)
    if low == "it's":
        replacement = phrase + " is"
    elif possessive:
        replacement = phrase + ("'" if phrase.endswith("s") else "'s")
    else:
        replacement = phrase
    return body[: match.start()] + replacement + rest


def _resolve(body: str, previous: Exchange) -> str | None:
    """`body` with its pronoun resolved to what `previous`'s answer is about, and the names of that exchange
    that it lacks in brackets; None when it has no pronoun or the answer names nothing it could stand for."""
    match = _first_pronoun(body)
    if match is None or not (previous.sentences or previous.quotes):
        return None
    asked = {referents.key(w) for w in WORD.findall(previous.question)}
    has = {referents.key(w) for w in content_words(body)}
    sources = list(previous.sentences[:_ANSWER_SENTENCES]) or list(previous.quotes[:_ANSWER_SENTENCES])
    phrase = referents.referent(match.group(0), sources, asked, previous.quotes, has)
    if phrase is None:
        return None
    resolved = _substitute(body, match, phrase.text)
    has |= {referents.key(w) for w in referents.tokens(phrase.text)}
    context: list[str] = []
    for name in referents.names(previous.question) + referents.names(sources[phrase.sentence]):
        keys = {referents.key(w) for w in referents.tokens(name)}
        if keys <= has or name in context:
            continue
        has |= keys
        context.append(name)
    context = context[:MAX_CONTEXT_NAMES]
    return _sentence_case(resolved) + (f" ({', '.join(context)})" if context else "") + "?"


def rewrite(question: str, history: Sequence[Turn]) -> str:
    """A standalone version of `question` given the earlier exchanges (oldest first; a bare string is a
    standalone question whose answer is unknown).

    Standalone questions come back unchanged (trimmed). A follow-up keeps its own question word, so the engine
    still sees what kind of answer is wanted. Its pronoun is resolved to what the previous answer is about:
    "and who condemned it?" after "How many of the prime minister's guards were injured?" answered "... 7 of
    Al-Kadhimi's security guards were injured in the attack" becomes "Who condemned the attack (Al-Kadhimi)?".
    Without an answer to look in, it gains the previous question's key terms instead: after "Who attacked the
    prime minister's residence?" it becomes "Who condemned it (attacked prime minister's residence)?".
    """
    question = question.strip()
    turns = [_exchange(h) for h in history]
    previous = next((t for t in reversed(turns) if t.question.strip()), None)
    if not question or previous is None or not is_followup(question):
        return question
    asked = previous.question.strip()
    about = _ABOUT.match(question)
    if about:
        # "what about the guards?" asks the previous question again about something else.
        topic = about.group("rest")
        return f"{asked.rstrip(' ?.!')}, and what about {topic}?"
    body = _LEAD.sub("", question).strip() or question
    body = body.rstrip(" ?.!")
    if not _ASKS.search(body):
        # "and the guards?" has no question word: ask the previous question about it.
        return f"{asked.rstrip(' ?.!')}, and {body}?"
    resolved = _resolve(body, previous)
    if resolved is not None:
        return resolved
    terms = _key_terms(asked, content_words(body))
    if not terms:
        return _sentence_case(body) + "?"
    return f"{_sentence_case(body)} ({' '.join(terms)})?"


def _transcript(turns: Sequence[Exchange], answer_chars: int = 400) -> str:
    lines = []
    for turn in turns:
        lines.append(f"Q: {turn.question}")
        answer = turn.answer
        if len(answer) > answer_chars:
            answer = answer[:answer_chars].rsplit(" ", 1)[0] + " …"
        lines.append(f"A: {answer or '(no answer)'}")
    return "\n".join(lines)


def llm_rewrite(llm: Any, question: str, history: Sequence[Turn]) -> str:
    """Let a capable LLM rewrite the follow-up, shown the earlier questions and their answers; the
    deterministic rewrite is used if it fails or rambles."""
    fallback = rewrite(question, history)
    if not history or not is_followup(question):
        return fallback
    earlier = _transcript([_exchange(h) for h in history[-3:]])
    prompt = ("Rewrite the last question of a conversation about news articles into one standalone question "
              "that names what its pronouns refer to: usually the event or thing the previous answer is about. "
              "Keep its question word. Reply with the question only.\n"
              f"Earlier questions and answers:\n{earlier}\nLast question: {question}\nStandalone question:")
    try:
        text = str(llm.complete(prompt).text).strip().strip('"').splitlines()[0].strip()
    except Exception:
        return fallback
    if not text or len(text) > 300 or "?" not in text:
        return fallback
    return text
