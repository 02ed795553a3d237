"""What a question asks: the kind of answer it wants and its terms (`analyse_question`), and how far a
sentence is about it (`lexical_relevance`, `speaker_named`, `question_names`, `has_pronoun`) or answers it
(`answers_question`, with the spans that may answer it: `asked_spans`)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from assistant.answer.candidates import (
    NUMBER,
    Span,
    answer_spans,
    answer_type,
    asked_clause,
    asked_phrase,
    names_quoted,
    past_form,
)
from assistant.answer.constraints import Constraint, misses, question_constraints
from assistant.answer.evidence import CheckedSentence, Evidence
from assistant.answer.lexicon import (
    CALENDAR_WORDS,
    DEIXIS_DAYS,
    GENERIC_QUESTION_TERMS,
    NAMED_THINGS,
    PRONOUN,
    QUOTE_QUESTION,
    RECENT_QUESTION,
    RELATIVE_YEAR,
    RELATIVE_YEAR_SHIFT,
)
from assistant.answer.terms import canonical_terms, name_terms
from assistant.text import STOPWORDS, YEAR, number_values, stem, words


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # quantity | date | person | place | yesno | quote | other
    terms: tuple[str, ...]
    counted: tuple[str, ...] = ()  # for quantity questions: what is counted ("guards")
    speaker: tuple[str, ...] = ()  # for quote questions: who spoke ("Iraq's president")
    atype: str = ""  # the span an answer must hold (`candidates.answer_type`): name | number | date | ""
    constraints: tuple[Constraint, ...] = ()  # "the women's final", "the 2019 final" (`constraints`)
    recent: bool = False  # it places its event in the present ("this week"): only recent articles answer it
    counting: tuple[str, ...] = ()  # for quantity questions: the verb of what is counted ("attended", "killed")


def analyse_question(question: str) -> Question:
    """What kind of answer the question wants, and its content terms."""
    q = question.strip().lower()
    named: re.Match[str] | None = None
    if re.match(r"^(?:how many|how much|what number|what was the number)", q) or "how many" in q:
        kind = "quantity"
    elif re.match(r"^(?:when|(?:on |in )?(?:what|which) (?:day|date|month|year|time))", q):
        kind = "date"
    elif re.match(r"^(?:who|whom|whose)\b", q) or _ASKED_WHO.search(q) or (named := re.match(
        rf"^(?:which|what)\s+(?!(?:did|does|do|was|were|is|are|has|have|had)\b)(?:[\w.'’-]+\s+){{0,3}}?"
        rf"({NAMED_THINGS})\b", q)):
        kind = "person"  # any answer that is a name: a person, an agency, a country, a group
    elif re.match(r"^(?:where|in what city|in which city)", q):
        kind = "place"
    elif re.match(r"^(?:is|was|were|are|did|does|do|has|have|had|can|could|will|would)\b", q):
        kind = "yesno"
    elif said := QUOTE_QUESTION.match(q):
        kind = "quote"  # "What did X say ...": the answer is X's own words
    else:
        kind = "other"
    generic = set(GENERIC_QUESTION_TERMS)
    if named:  # "Which news agency ...": the answer names an agency; the sources need not say "agency"
        generic |= set(canonical_terms(named.group(1) + " news"))
    terms = [t for t in canonical_terms(question) if t not in generic]
    counted: tuple[str, ...] = ()
    counting: tuple[str, ...] = ()
    if kind == "quantity":  # "How many of Al-Kadhimi's security guards were wounded" counts guards
        auxiliary = r"were|was|are|is|did|do|does|have|has|had|will|would"
        match = re.search(rf"how (?:many|much)\b(.*?)(?:\s+(?:{auxiliary})\b|\?|$)", q)
        if match:  # "How much has the city spent?" counts nothing: the auxiliary follows at once
            thing, verb = _before_verb(match.group(1))
            if not verb:  # "were killed", "is Quillon cutting"
                verb = next((w for w in words(q[match.end() :]) if _is_verb(w)), "")
            counted = tuple(dict.fromkeys(canonical_terms(thing)))
            counting = tuple(canonical_terms(verb))
    speaker: tuple[str, ...] = ()
    if kind == "quote" and said:
        who = question.strip()[said.start(1) : said.end(1)]
        speaker = tuple(t for t in dict.fromkeys(canonical_terms(who)) if t not in generic)
    return Question(question, kind, tuple(dict.fromkeys(terms)), counted, speaker, answer_type(question, kind),
                    tuple(question_constraints(question)), bool(RECENT_QUESTION.search(question)), counting)


# "who" asked after a preposition inside the question ("..., paving the way for who to advance?"); a "who" after
# a noun is a relative pronoun ("the player who scored"), which asks nothing.
_ASKED_WHO = re.compile(r"\b(?:for|to|by|with|from|of|about|at)\s+(?:who|whom)\b")


def _before_verb(counted: str) -> tuple[str, str]:
    """The counted words up to the verb of the question, and the verb: "people attended the men's final" counts
    people who attended; a first word in "-ed" is an adjective ("armed men"), as is a hyphenated one ("red-tailed
    hawks")."""
    tokens = counted.split()
    for i, token in enumerate(tokens[1:], start=1):
        if _is_verb(token):
            return " ".join(tokens[:i]), token
    return counted, ""


def _is_verb(word: str) -> bool:
    """A past form or participle, as questions put their verb ("attended", "killed", "cutting", "won")."""
    return "-" not in word and (past_form(word) or (word.endswith("ing") and len(word) > 4))


_PERCENT_ASKED = re.compile(r"\b(?:percent|percentage|per cent|share|proportion)\b")
_MONEY_ASKED = re.compile(r"\bhow much\b.*\b(?:cost|costs|money|price|prices|pay|paid|spend|spent|worth|raise|raised"
                          r"|fund|funds|budget|salary|fine|fee|sell|sold|buy|bought)\b|[$£€¥]")
_CURRENCY = re.compile(r"[$£€¥]|\b(?:dollars?|pounds?|euros?|yen|yuan|rupees?)\b", re.IGNORECASE)
_PERCENT = re.compile(r"%|\bper ?cent\b", re.IGNORECASE)
UNIT_REACH = 4  # words after a number within which the counted thing stands ("7 of the security guards")


def of_asked_unit(q: Question, span: Span, sentence: str) -> bool:
    """A percentage for "what percentage", a sum of money for "how much did it cost", a count of the counted thing."""
    clause = asked_clause(q.text).lower()
    after = sentence[span.end : span.end + 12]
    if _PERCENT_ASKED.search(clause):  # a share: "58%", "54 percent", or a fraction ("two-thirds")
        return bool(_PERCENT.search(span.text + after[:9])) or any(0 < v < 1 for v in number_values(span.text))
    if _MONEY_ASKED.search(clause):
        return bool(_CURRENCY.search(span.text + " " + after))
    if q.counted:  # the counted thing, or the head of its compound ("wildfires" are "fires")
        following = canonical_terms(" ".join(words(sentence[span.end :])[:UNIT_REACH]))
        # The stemmer keeps a short word's final "e" ("fire") and drops a longer one's ("wildfir"): compared without.
        if any(t == c or (len(t) >= 3 and c.rstrip("e").endswith(t.rstrip("e"))) for t in following
               for c in q.counted):
            return True
        # Or the number stands by the counting verb or its noun ("the attendance of 18,200" for "How many people
        # attended", "the blast killed 12", "11,400 watched") and counts nothing else ("killed 2 soldiers").
        before = words(sentence[: span.start])[-UNIT_REACH + 1 :]
        verb = [w for w in words(sentence[span.end :])[:3] if w not in STOPWORDS][:1]  # "11,400 watched", "12 were hit"
        near = canonical_terms(" ".join(before + verb))
        return bool(set(near) & set(q.counting)) and not _counts_a_noun(q, sentence, span)
    return True


def _counts_a_noun(q: Question, sentence: str, span: Span) -> bool:
    """Whether a noun of its own follows the number ("2 soldiers"; not "18,200 in Lorvik", "12 and", "11,400
    watched")."""
    following = _word_after(sentence, span)
    return bool(following) and not set(canonical_terms(following)) & set(q.counting)


def _word_after(sentence: str, span: Span) -> str:
    """The word right after a number, if it may be a noun it counts (a word, not a stopword); else ""."""
    following = words(sentence[span.end :])[:1]
    return following[0] if following and following[0].isalpha() and following[0] not in STOPWORDS else ""


def counts_another_thing(q: Question, span: Span, sentence: str) -> bool:
    """Whether a number counts something the question does not by name: the noun right after it is not the
    counted thing ("six years of marriage" for "How many times has he been divorced?"). A number without a noun of
    its own ("dozens were wounded", "7 of the guards") may count what was asked; `of_asked_unit` is the stricter
    test that candidates must pass."""
    if not q.counted or of_asked_unit(q, span, sentence):
        return False
    following = _word_after(sentence, span)
    return bool(following) and not following.endswith("ed")  # "seven injured" names no other thing


def asked_spans(q: Question, text: str, common: Collection[str] = ()) -> list[Span]:
    """The spans of the asked type in `text` that the question does not give, and no number that counts another
    thing (`counts_another_thing`)."""
    spans = answer_spans(q.atype, text, q.text, common) if q.atype else []
    return [s for s in spans if q.atype != NUMBER or not counts_another_thing(q, s, text)]


def has_pronoun(text: str) -> bool:
    """Whether `text` refers back to someone ("he said", "their seats") whom an earlier sentence names."""
    return bool(PRONOUN.search(text))


def speaker_named(question: Question, text: str) -> bool:
    """For a quote question, whether `text` (with its context) names the speaker the question asks about."""
    return set(question.speaker) <= set(canonical_terms(text))


def question_names(question: str) -> set[str]:
    """Names the question mentions ("Abu Ali Al-Askari" gives abu, ali, askari)."""
    return name_terms(question) - CALENDAR_WORDS


def holds_names(q: Question, text: str) -> bool:
    """Whether `text` gives at least half of the names the question mentions (any text, if it mentions none):
    sewage tests in Tempe do not say what was found in London's sewage, however alike the two sentences are.
    Names in the "which ..." phrase describe the answer, not the event, and need not be repeated: "Dartmouth
    College announced ..." answers "Which Ivy League school announced ...?"."""
    asked = question_names(q.text) - name_terms(asked_phrase(q.text)[0])
    if not asked:
        return True
    present = name_terms(text) | set(canonical_terms(text))
    return len(asked & present) * 2 >= len(asked)


def term_weights(pool: Sequence[Evidence]) -> Callable[[str], float]:
    """Inverse document frequency of a term over the pool's retrieved sentences; the sentences of the passages
    read beside them (`Evidence.neighbour`) leave the weights, and so how much of a question a sentence covers,
    as retrieval alone gives them."""
    docs = [set(canonical_terms(e.text)) for e in pool if not e.neighbour]
    n = len(docs) or 1

    def weight(term: str) -> float:
        df = sum(1 for d in docs if term in d)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    return weight


def lexical_relevance(question: Question, text: str, weight: Callable[[str], float]) -> float:
    """The share of the question's terms that `text` contains: half IDF-weighted, half plain."""
    if not question.terms:
        return 0.0
    present = set(canonical_terms(text))
    total = sum(weight(t) for t in question.terms) or 1.0
    weighted = sum(weight(t) for t in question.terms if t in present) / total
    # Terms in most retrieved sentences ("prime minister" in a story about him) say little about which
    # sentence answers; the plain share counts the informative terms only, when there are any.
    informative = [t for t in question.terms if weight(t) >= _INFORMATIVE_WEIGHT] or list(question.terms)
    plain = sum(1 for t in informative if t in present) / len(informative)
    return 0.5 * weighted + 0.5 * plain


_INFORMATIVE_WEIGHT = math.log(1 + 0.7 / 0.3)  # the term is in at most ~30% of the sentences


def fits(q: Question, evidence: Evidence) -> bool:
    """The sentence may answer: it does not miss the question's constraints (another year, quarter or side than
    asked, or another year than its article's day gives what it tells of), and it is not the lead-in of a list
    ("Here are the highest prices:"), which states nothing itself."""
    if evidence.text.rstrip().endswith(":"):
        return False
    return not (misses(q.constraints, evidence.text, f"{evidence.title}. {evidence.context}")
                or reported_in_another_year(q, evidence))


def reported_in_another_year(q: Question, evidence: Evidence) -> bool:
    """Whether the sentence tells of a year other than the one the question names, read from its article's day:
    a sentence that places its event in its article's week ("won the cup on Saturday", "said this week", the
    headline, which gives the article's news) or that speaks of the constrained thing without a year ("a record
    for the final") tells of the year it was published, "last year's final" of the year before. A 2026 report of
    Saturday's final does not say who won the 2022 one. A sentence that names a year is read as it says it
    (`constraints.misses`), as is one whose context names the question's year."""
    constraints = [c for c in q.constraints if c.kind == "year"]
    if evidence.published is None or not constraints:
        return False
    years = {c.value for c in constraints}
    if any(year in evidence.text_in_context for year in years) or YEAR.search(evidence.text):
        return False
    relative = RELATIVE_YEAR.search(evidence.text)
    if relative:
        told = {str(evidence.published.year + RELATIVE_YEAR_SHIFT[relative.group(1).lower()])}
    elif (" ".join(words(evidence.text)) == " ".join(words(evidence.title)) or RECENT_QUESTION.search(evidence.text)
          or {c.word for c in constraints} & {stem(w) for w in words(evidence.text)}):
        told = {str((evidence.published + dt.timedelta(days=d)).year) for d in (-DEIXIS_DAYS, DEIXIS_DAYS)}
    else:
        return False
    return not years & told


def lexical_in_context(q: Question, evidence: Evidence, weight: Callable[[str], float]) -> float:
    """How much of the question a sentence covers, reading "he" as whom the context names; the context's
    other words count at a discount (the sentence before may set the scene: "He appeared on television.")."""
    own = lexical_relevance(q, evidence.text_with_referents, weight)
    if not evidence.context:
        return own
    return max(own, _CONTEXT_DISCOUNT * lexical_relevance(q, evidence.text_in_context, weight))


_CONTEXT_DISCOUNT = 0.85  # the context's words count at this share of the sentence's own


def answers_question(q: Question, sentence: CheckedSentence, weight: Callable[[str], float], common: set[str],
                     similarity: Callable[[str, Sequence[str]], list[float]]) -> bool:
    """Whether a supported sentence answers `q`: on topic, and more than the question said back ("X condemned
    X" adds nothing): a span of the asked type that the question does not give, and that the quotes give too."""
    new_terms = set(canonical_terms(sentence.text)) - set(canonical_terms(q.text))
    if not new_terms and not number_values(sentence.text) - number_values(q.text):
        return False
    quotes = " ".join(e.text_in_context for e in sentence.evidence)
    if not names_quoted(sentence.text, q.text, [e.text_in_context for e in sentence.evidence], common):
        return False  # a name put together from quoted words, or taken from nowhere
    if q.atype:
        quoted = f" {' '.join(words(' '.join(e.text for e in sentence.evidence)))} "
        if not any(f" {span.key} " in quoted for span in asked_spans(q, sentence.text, common)):
            return False
    if not speaker_named(q, sentence.text + " " + quotes):
        return False  # "What did Iraq's president say?" is not answered by a U.S. official's words
    if not holds_names(q, " ".join([sentence.text, *(e.text_in_passage for e in sentence.evidence)])):
        return False  # "What did Abu Ali Al-Askari say?" is not answered by a sentence about Ali Shamkhani
    lexical = lexical_relevance(q, sentence.text + " " + quotes, weight)
    cosine = similarity(q.text, [sentence.text])[0]
    return lexical >= 0.4 or (lexical >= 0.25 and cosine >= 0.5)
