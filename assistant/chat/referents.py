"""What a pronoun of a follow-up stands for: the event or thing the previous answer is about.

No tagger is at hand (spaCy's models are not installed, nor NLTK's data), so noun phrases are found with English's
closed word classes only, never with what the words mean: a phrase starts after a determiner ("the", "a", a
number, a possessive such as "its" or "the mayor's") and runs over the content words that follow, up to the next
function word or punctuation; a run of capitalised words is a name. Which phrase a pronoun means is scored on the
grammar of the answer's sentences:

- only a phrase with a word the previous question did not have (what the answer introduced) is a candidate;
- "it", "this", "that" prefer the sentence's circumstance, a phrase led by a determiner after a preposition
  ("flights were cancelled after the strike", "bought it in a deal"), and a singular head, and are never a name
  (after "... the cup final in Lorvik", "where was it played?" asks for Lorvik); "they" prefers the
  sentence's subject and a plural head; "he" and "she" are names;
- a definite phrase ("the ...", "its ...", "X's ...") over an indefinite one; the first sentence (the direct
  answer) over the next; a phrase the cited quotes repeat over one they do not;
- not the source of a report ("two officials said that ...", "..., officials told reporters").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.text import STOPWORDS, stem

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")
_ARTICLES = frozenset({"the", "a", "an"})
_POSSESSIVE_DETERMINERS = frozenset({"its", "their", "his", "her", "our", "your", "my"})
PREPOSITIONS = frozenset("""in at on during after before since following amid amidst over from into onto near under
    by with for against about through throughout across around behind between despite within without toward towards
    until upon like worth via of to as than among beyond beside besides inside outside along per off out up down
    including regarding concerning past below above beneath underneath unlike""".split())  # noqa: SIM905
_NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds
    thousand thousands million millions billion dozen dozens""".split())  # noqa: SIM905
_QUESTION_WORDS = frozenset({"who", "whom", "whose", "what", "when", "where", "why", "how", "which"})
# Words that end a report's source: "two officials said ...", "officials told ...", "according to ...".
_REPORTING = frozenset({"said", "says", "say", "told", "tell", "according"})
SINGULAR = frozenset({"it", "its", "it's", "itself", "this", "that"})
PLURAL = frozenset({"they", "them", "their", "theirs", "themselves", "these", "those"})
PERSONAL = frozenset({"he", "him", "his", "she", "her", "hers", "himself", "herself"})
MAX_PHRASE = 5


@dataclass(frozen=True)
class Phrase:
    """A noun phrase or a name of an answer sentence, with what its salience is scored on."""

    text: str  # as it would be written in a question: "the deal", "Harlow Group", "Harlow's stadium"
    words: tuple[str, ...]  # its content words, as written
    kind: str  # definite, indefinite, number, possessive, bare (a determiner-less subject) or name
    plural: bool
    sentence: int  # which answer sentence (0: the first)
    circumstance: bool  # led by a determiner after a preposition other than "of": "after the strike"
    subject: bool  # the sentence's first phrase
    source: bool  # inside the source of a report: "two officials said"
    repeated: bool  # its new words are in two cited quotes or more

    @property
    def name(self) -> bool:
        return self.kind == "name"


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def plain(token: str) -> str:
    """A word compared with others: lower case, a curly apostrophe straight ("It’s" -> "it's")."""
    return token.lower().replace("’", "'")


def _is_number(token: str) -> bool:
    return token[:1].isdigit() or plain(token) in _NUMBER_WORDS


def _is_word(token: str) -> bool:
    return token[:1].isalnum()


def _is_function(token: str) -> bool:
    low = plain(token)
    return (not _is_word(token) or low in STOPWORDS or low in PREPOSITIONS or low in _QUESTION_WORDS
            or low in PERSONAL or low in PLURAL or low in SINGULAR or _is_number(token))


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper() and not _is_function(token)


def _possessive(token: str) -> bool:
    return plain(token).endswith(("'s", "s'"))


def _bare(token: str) -> str:
    """A word without its possessive ending: "Harlow's" -> "Harlow"."""
    return re.sub(r"['’]s?$", "", token)


def key(word: str) -> str:
    return stem(_bare(word).lower())


def _is_plural(word: str) -> bool:
    low = _bare(word).lower()
    return len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "us", "is")) and not _possessive(word)


def _source(toks: list[str]) -> range:
    """Where the source of a report is: "Two officials said that ...", "... after the strike, officials told AP"
    (an empty range when the sentence reports nobody)."""
    for i, token in enumerate(toks):
        low = plain(token)
        if low in _REPORTING:
            commas = [j for j, t in enumerate(toks[:i]) if t == ","]
            return range(commas[-1] + 1 if commas else 0, i)
        if low == "that" and 0 < i < len(toks) - 1 and not _is_function(toks[i - 1]):
            following = toks[i + 1]
            if plain(following) in _ARTICLES or _is_number(following) or _is_capitalised(following):
                return range(0, i)
    return range(0)


def _without_verb(toks: list[str], start: int, end: int) -> int:
    """The end of the phrase `toks[start:end]` without a verb the run of words took in: a word followed by a
    determiner ("the company bought the stadium"), or a past tense ending it ("nurses walked out")."""
    if end - start > 1 and end < len(toks) and (plain(toks[end]) in _ARTICLES or _is_number(toks[end])
                                                 or plain(toks[end]) in _POSSESSIVE_DETERMINERS):
        return end - 1
    last = plain(toks[end - 1]) if end > start else ""
    if end - start > 1 and last.endswith("ed") and not last.endswith("eed") and len(last) > 4:
        return end - 1
    return end


def _noun_phrases(toks: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the phrases after a determiner; kind is definite ("the", "its"), indefinite ("a"),
    number ("two") or possessive (a phrase led by its possessor: "Harlow's new stadium")."""
    found = []
    for i, token in enumerate(toks):
        low = plain(token)
        previous = toks[i - 1] if i > 0 else ""
        if low in _ARTICLES or low in _POSSESSIVE_DETERMINERS:
            kind, start = ("indefinite" if low in ("a", "an") else "definite"), i + 1
        elif _is_number(token):
            kind, start = "number", i + 1
        elif _is_word(token) and _possessive(token) and (not previous or (
                _is_function(previous) and plain(previous) not in _ARTICLES)):
            kind, start = "possessive", i
        else:
            continue
        end = start
        while end < len(toks) and end - start < MAX_PHRASE and not _is_function(toks[end]):
            end += 1
        end = _without_verb(toks, start, end)
        if end > start and not _possessive(toks[end - 1]):
            found.append((start, end, kind))
    return found + _bare_subject(toks)


def _bare_subject(toks: list[str]) -> list[tuple[int, int, str]]:
    """A short phrase without a determiner that opens the sentence ("Rescue volunteers from ..."); not a name."""
    end = 0
    while end < len(toks) and end < 4 and not _is_function(toks[end]):
        end += 1
    end = _without_verb(toks, 0, end)  # "Police arrested two men"
    if end == 0 or end > 3 or (end < len(toks) and not _is_function(toks[end])) or _possessive(toks[end - 1]):
        return []
    if (end > 1 and all(_is_capitalised(t) for t in toks[:end])) or (end == 1 and not _is_plural(toks[0])):
        return []  # a name (see `_names`), or a word that may be one ("Baghdad was ...")
    return [(0, end, "bare")]


def _names(toks: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the runs of capitalised words; a sentence's first word only when the next is capitalised."""
    runs, i = [], 0
    while i < len(toks):
        if not _is_capitalised(toks[i]):
            i += 1
            continue
        end = i + 1
        while end < len(toks) and _is_capitalised(toks[end]) and not _possessive(toks[end - 1]):
            end += 1
        if i > 0 or end - i > 1:
            runs.append((i, end))
        i = end
    return runs


def phrases(sentences: Sequence[str], asked: set[str], quotes: Sequence[str] = ()) -> list[Phrase]:
    """The noun phrases and names of `sentences` (an answer's) that say something the previous question did not
    (`asked` holds the stems of its words)."""
    quoted = [{key(w) for w in tokens(q) if _is_word(w)} for q in quotes]
    out: list[Phrase] = []
    for n, sentence in enumerate(sentences):
        toks = tokens(sentence)
        source = _source(toks)
        spans = _noun_phrases(toks) + [(s, e, "name") for s, e in _names(toks)]
        led = {kind: int(kind in ("definite", "indefinite", "number")) for _, _, kind in spans}  # by a determiner
        first = min((start - led[kind] for start, _, kind in spans), default=0)
        for start, end, kind in spans:
            words = tuple(toks[start:end])
            new = [w for w in words if key(w) not in asked]
            if not new:
                continue
            before = plain(toks[start - 2]) if led[kind] and start > 1 else ""
            if kind == "name":
                text = " ".join((*words[:-1], _bare(words[-1])))
            elif kind == "possessive":
                text = " ".join(words)
            elif kind == "bare":
                lower = words[0][1:].islower() and (len(words) == 1 or not words[1][:1].isupper())
                text = " ".join((words[0].lower() if lower else words[0], *words[1:]))
            else:
                text = "the " + " ".join(words)
            out.append(Phrase(
                text, tuple(_bare(w) for w in words), kind,
                plural=_is_plural(words[-1]) or (kind == "number" and plain(toks[start - 1]) not in ("one", "1")),
                sentence=n,
                circumstance=before in PREPOSITIONS and before != "of",
                subject=start - led[kind] == first,
                source=start in source and end - 1 in source,
                repeated=sum(any(key(w) in q for w in new) for q in quoted) >= 2,
            ))
    return out


def _score(phrase: Phrase, pronoun: str) -> float | None:
    """How likely `pronoun` stands for `phrase` (None: it cannot). "It" and "that" mostly stand for the event the
    answer's sentence tells of (its circumstance), "they" and "he" for who acted (its subject)."""
    score = 3.0 - phrase.sentence - 2 * phrase.source + phrase.repeated + (phrase.kind in ("definite", "possessive"))
    if pronoun in PERSONAL:
        return score + 2 * phrase.subject + (len(phrase.words) > 1) if phrase.name else None
    if pronoun in PLURAL:
        return score + 2 * phrase.subject - (0 if phrase.plural else 2 if phrase.name else 4)
    if phrase.name:  # "it" after "... in Lorvik" is seldom Lorvik ("where was it played?" asks for Lorvik)
        return None
    return score + 2 * phrase.circumstance + phrase.subject - 4 * phrase.plural


def referent(pronoun: str, sentences: Sequence[str], asked: set[str], quotes: Sequence[str] = (),
             exclude: set[str] | None = None) -> Phrase | None:
    """The phrase of an answer (`sentences`) that `pronoun` most likely stands for, or None.

    `asked`: the stems of the previous question's words; `exclude`: the stems the follow-up already has (a phrase
    it names is not what its pronoun means)."""
    best: Phrase | None = None
    best_score = float("-inf")
    for phrase in phrases(sentences, asked, quotes):
        if exclude and all(key(w) in exclude for w in phrase.words):
            continue
        score = _score(phrase, plain(pronoun))
        if score is not None and score > best_score:
            best, best_score = phrase, score
    return best


def names(sentence: str) -> list[str]:
    """The names in `sentence` outside a report's source, without possessive endings ("Harlow's" -> "Harlow")."""
    toks = tokens(sentence)
    source = _source(toks)
    out = []
    for start, end in _names(toks):
        if start in source and end - 1 in source:
            continue
        out.append(" ".join(_bare(w) if i == end - 1 else w for i, w in enumerate(toks[start:end], start)))
    return out
