"""Citations: parse the model's [n] markers, verify each sentence against verbatim quotes, repair, find conflicts.

Everything here is plain Python over strings and offsets, so it does not depend on the model: the
model may cite well, badly or not at all, and the result is checked the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.text import (
    NEGATIONS,
    STOPWORDS,
    VAGUE_QUANTITIES,
    content_terms,
    number_values,
    numbers,
    sentence_spans,
    stem,
    words,
)

ABSTAIN_TEXT = "The articles do not say."

# Words that news reports use interchangeably; each maps to one canonical stem.
_SYNONYM_GROUPS = [
    ("injur", "wound", "hurt"),
    ("kill", "dead", "die", "death", "slain"),
    ("attack", "strik", "strike", "assault", "attempt"),
    ("residenc", "hom", "home", "hous", "house"),
    ("condemn", "denounc", "criticis", "criticiz"),
    ("guard", "bodyguard", "protection"),
    ("premier", "pm"),
    ("unharm", "unhurt", "safe"),
    ("claim", "responsibility"),
    ("tweet", "twitter"),
    ("drone", "uav"),
    ("speak", "spok", "tell", "talk"),
    ("assassination", "assassinat"),
]
_CANONICAL = {stem(w): group[0] for group in _SYNONYM_GROUPS for w in group}
_CANONICAL.update({w: group[0] for group in _SYNONYM_GROUPS for w in group})


_ALIASES = [
    (re.compile(r"\bU\.\s?S\.(?:\s?A\.)?|\bUSA?\b|\bUnited States(?: of America)?\b|\bAmerica\b"), " usa "),
    (re.compile(r"\bU\.\s?K\.|\bUK\b|\bUnited Kingdom\b|\bBritain\b"), " uk "),
    (re.compile(r"\bU\.\s?N\.|\bUN\b|\bUnited Nations\b"), " un "),
]
_IRREGULAR = {"became": "become", "began": "begin", "took": "take", "told": "tell", "fled": "flee",
              "struck": "strike", "hit": "strike", "fought": "fight", "held": "hold", "led": "lead",
              "met": "meet", "sent": "send", "spoke": "speak", "won": "win", "lost": "lose", "came": "come",
              "went": "go", "gave": "give", "wrote": "write", "killing": "kill", "died": "die"}

_TOLD = {"told", "tell", "tells", "telling"}  # stop words elsewhere ("said"-like), but a verb a question may ask about


def canonical_terms(text: str) -> list[str]:
    """Content terms with synonyms folded together ("wounded" and "injured" become one term)."""
    for pattern, alias in _ALIASES:
        text = pattern.sub(alias, text)
    terms = []
    for word in words(text):
        if word in _TOLD:  # "officials told AP" answers "which agency did officials speak to?"
            terms.append("speak")
            continue
        if word in STOPWORDS or word.isdigit() or number_values(word):
            continue
        term = stem(_IRREGULAR.get(word, word))
        terms.append(_CANONICAL.get(term, term))
    return terms


_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
           r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
_DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTHS}(?:\s+\d{{4}})?|{_DAYS}"
    rf"|(?<=in )(?:{_MONTHS})(?:\s+\d{{4}}|\s+last\s+year|\s+this\s+year)?)\b"
)
_VAGUE_ALTERNATIVES = "|".join(re.escape(v) for v in sorted(VAGUE_QUANTITIES, key=len, reverse=True))
_VAGUE = re.compile(rf"\b(?:{_VAGUE_ALTERNATIVES})\b", re.IGNORECASE)
_MARKER = re.compile(
    r"\s*(?:\[(?:source\s*)?(\d+(?:\s*[,;\-–]\s*\d+)*)\]|\((?:source\s*)?(\d+(?:\s*,\s*\d+)*)\))", re.IGNORECASE
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*\b")


@dataclass(frozen=True)
class Evidence:
    """A sentence of an article that may support a claim; `text == article_text[start:end]`."""

    source: str
    title: str
    article_id: str
    start: int
    end: int
    text: str
    relevance: float = 0.0
    context: str = ""  # what "he" or "they" refers to: the sentences before it and the title; never quoted

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.article_id, self.start, self.end)

    @property
    def text_in_context(self) -> str:
        return f"{self.context} {self.text}" if self.context else self.text

    @property
    def text_with_referents(self) -> str:
        """The sentence plus the names its context gives ("he" may be Al-Kadhimi), not the context's other words."""
        return f"{self.text} {' '.join(_name_words(self.context))}" if self.context else self.text


@dataclass
class Citation:
    n: int
    source: str
    title: str
    quote: str
    start: int
    end: int


@dataclass
class AnswerSentence:
    text: str
    citations: list[int]
    supported: bool


@dataclass
class Claim:
    value: str
    citations: list[int]


@dataclass
class Conflict:
    about: str
    claims: list[Claim]


@dataclass
class CheckedSentence:
    """A sentence of the draft and the evidence that supports it (empty when none does)."""

    text: str
    evidence: list[Evidence] = field(default_factory=list)
    cited_by_model: list[int] = field(default_factory=list)
    repaired: bool = False

    @property
    def supported(self) -> bool:
        return bool(self.evidence)


# Parsing ---------------------------------------------------------------------------------------

def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """Split "Seven guards were hurt [1][3]." into ("Seven guards were hurt.", [1, 3])."""
    cited: list[int] = []
    for match in _MARKER.finditer(sentence):
        body = match.group(1) or match.group(2) or ""
        for part in re.split(r"\s*[,;]\s*", body):
            if re.search(r"[-–]", part):
                low, high = (int(x) for x in re.split(r"\s*[-–]\s*", part)[:2])
                cited.extend(range(low, min(high, low + 20) + 1))
            elif part.strip().isdigit():
                cited.append(int(part))
    text = _MARKER.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text).strip()
    return text, list(dict.fromkeys(cited))


def split_draft(draft: str) -> list[str]:
    """The draft's sentences, markers kept, with chat noise such as "Answer:" removed."""
    cleaned = re.sub(r"^\s*(?:answer|response|a)\s*:\s*", "", draft.strip(), flags=re.IGNORECASE)
    # Small models open with "The sources are:" or "The source said that": noise, not a claim.
    cleaned = re.sub(r"^(?:the\s+)?(?:sources?|articles?)\s+(?:are|is|says?|said|states?|stated)(?:\s+that)?\s*:?\s*",
                     "", cleaned, flags=re.IGNORECASE)
    cleaned = cleaned[:1].upper() + cleaned[1:]
    cleaned = re.sub(r"[*_`#]+", "", cleaned)
    # A marker after the full stop belongs to the sentence before it: "... injured. [1] Other ..."
    cleaned = re.sub(r"([.!?])((?:\s*\[[^\]]{1,12}\])+)", r"\2\1", cleaned)
    out: list[str] = []
    for span in sentence_spans(cleaned):
        sentence = cleaned[span.start : span.end].strip()
        if sentence and sentence not in out:
            out.append(sentence)
    return out


# Verifying -------------------------------------------------------------------------------------

def _names(text: str) -> set[str]:
    """Capitalised words that are not at the start of a sentence: names, places, days, months."""
    return {stem(word.lower().replace("al-", "")) for word in _name_words(text)}


def _name_words(text: str) -> list[str]:
    """The capitalised words of `text` as written, sentence openers and common capitalised words left out."""
    found = []
    for span in sentence_spans(text) or []:
        sentence = text[span.start : span.end]
        for match in re.finditer(r"\b[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*\b", sentence):
            if match.start() == 0 or sentence[: match.start()].strip() in ('"', "“", "'"):
                continue
            if match.group(0).lower() not in _COMMON_CAPITALISED:
                found.append(match.group(0))
    return found


_COMMON_CAPITALISED = {"the", "a", "an", "he", "she", "it", "they", "we", "i", "in", "on", "at", "but", "and",
                       "according", "prime", "minister", "president", "state", "department", "officials", "god"}


_CALENDAR_WORDS = {stem(w) for w in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                                      "january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december")}


def _negated(text: str) -> bool:
    return any(w in NEGATIONS for w in words(text)) or "n't" in text


@dataclass(frozen=True)
class Support:
    """How far some quotes support a claim."""

    coverage: float
    numbers_ok: bool
    names_ok: bool
    negation_ok: bool
    similarity: float
    quotes: int = 1

    @property
    def ok(self) -> bool:
        if not (self.numbers_ok and self.names_ok and self.negation_ok):
            return False
        needed = 0.8 if self.quotes == 1 else 0.9
        if self.coverage >= needed:
            return True
        # A paraphrase: most words there and close in meaning.
        return self.quotes == 1 and self.coverage >= 0.65 and self.similarity >= 0.8


Similarity = Callable[[str, Sequence[str]], list[float]]


def check_support(claim: str, quotes: Sequence[str], similarity: Similarity | None = None,
                  question: str = "") -> Support:
    """Whether `quotes` together support `claim`: its numbers, names and polarity match, and its words are there."""
    joined = " ".join(quotes)
    claim_terms = set(canonical_terms(claim))
    quote_terms = set(canonical_terms(joined))
    # The question's own terms must be in the quotes: a quote that never mentions the "operator" cannot
    # establish who the operator was, however much else it shares with the claim.
    asked_but_missing = bool(question) and bool((claim_terms - quote_terms) & set(canonical_terms(question)))
    coverage = len(claim_terms & quote_terms) / len(claim_terms) if claim_terms else 0.0
    claim_numbers = number_values(claim)
    quote_numbers = number_values(joined)
    numbers_ok = claim_numbers <= quote_numbers and _vague_quantities(claim) <= _vague_quantities(joined)
    names_ok = _names(claim) <= (set(content_terms(joined)) | _names(joined))
    numbers_ok = numbers_ok and _literals(claim) <= _literals(joined)
    negation_ok = _negated(claim) == any(_negated(q) for q in quotes) or (not _negated(claim) and len(quotes) > 1)
    sim = 1.0
    if similarity is not None and coverage < 0.8:
        sim = max(similarity(claim, quotes) or [0.0])
    return Support(coverage, numbers_ok, names_ok and not asked_but_missing, negation_ok, sim, len(quotes))


def _literals(text: str) -> set[str]:
    """Digit strings (years, times, counts) and dates, which must appear in the quotes as they are."""
    counts = number_values(text)
    found = {d for d in re.findall(r"\d+", text) if float(d) not in counts}  # counts may be spelled out
    found |= {normalize_value("date", m.group(0)) for m in _DATE.finditer(text)}
    return found


def _vague_quantities(text: str) -> set[str]:
    return {m.group(0).lower() for m in _VAGUE.finditer(text)}


def verify_sentences(draft: str, sources: Sequence[Evidence], pool: Sequence[Evidence],
                     similarity: Similarity | None = None, question: str = "") -> list[CheckedSentence]:
    """Check each draft sentence: keep the model's citations that hold, else find support in `pool`.

    `sources` are the numbered sources the model saw ([1] is `sources[0]`); `pool` is every
    retrieved sentence, searched when the model cited nothing or cited wrongly.
    """
    checked = []
    for raw in split_draft(draft):
        text, cited = parse_markers(raw)
        if not text or not re.search(r"[A-Za-z0-9]", text):
            continue
        result = CheckedSentence(text=text, cited_by_model=cited)
        given = [sources[n - 1] for n in cited if 1 <= n <= len(sources)]
        kept = [e for e in given if check_support(text, [e.text], similarity, question).ok]
        if kept:
            result.evidence = kept[:3]
        elif _one_article(given[:2]) and check_support(text, [e.text for e in given[:2]], similarity, question).ok:
            result.evidence = given[:2]
        else:
            result.evidence = find_support(text, pool, similarity, question)
            result.repaired = bool(result.evidence)
        checked.append(result)
    return checked


def find_support(claim: str, pool: Sequence[Evidence], similarity: Similarity | None = None,
                 question: str = "") -> list[Evidence]:
    """The sentences in `pool` that support `claim`: one if one suffices, else the best pair, else none."""
    claim_terms = set(canonical_terms(claim))
    if not claim_terms and not number_values(claim):
        return []

    def overlap(e: Evidence) -> float:
        return len(claim_terms & set(canonical_terms(e.text))) + 0.01 * e.relevance

    ranked = sorted(pool, key=overlap, reverse=True)[:12]
    singles = [e for e in ranked if check_support(claim, [e.text], similarity, question).ok]
    if singles:
        # Every article that says the same thing is cited, best first.
        best = singles[:1]
        best += [e for e in singles[1:] if e.article_id not in {b.article_id for b in best}][:2]
        return best
    for i, first in enumerate(ranked[:6]):
        for second in ranked[i + 1 : 6]:
            pair = [first.text, second.text]
            if _one_article([first, second]) and check_support(claim, pair, similarity, question).ok:
                return [first, second]
    return []


def _one_article(evidence: Sequence[Evidence]) -> bool:
    """Two sentences may support a claim together only when they stand side by side in one article:
    stitching distant sentences or two reports together can make a claim that none of them makes."""
    if len(evidence) != 2 or evidence[0].article_id != evidence[1].article_id:
        return False
    first, second = sorted(evidence, key=lambda e: e.start)
    return 0 <= second.start - first.end <= 2  # neighbours: ". " or a line break apart


# Questions and relevance -----------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # quantity | date | person | place | yesno | quote | other
    terms: tuple[str, ...]
    counted: tuple[str, ...] = ()  # for quantity questions: what is counted ("guards")
    speaker: tuple[str, ...] = ()  # for quote questions: who spoke ("Iraq's president")


def analyse_question(question: str) -> Question:
    """What kind of answer the question wants, and its content terms."""
    q = question.strip().lower()
    named: re.Match[str] | None = None
    if re.match(r"^(?:how many|how much|what number|what was the number)", q) or "how many" in q:
        kind = "quantity"
    elif re.match(r"^(?:when|(?:on |in )?(?:what|which) (?:day|date|month|year|time))", q):
        kind = "date"
    elif re.match(r"^(?:who|whom|whose)\b", q) or (named := re.match(
        rf"^(?:which|what)\s+(?!(?:did|does|do|was|were|is|are|has|have|had)\b)(?:[\w.'’-]+\s+){{0,3}}?"
        rf"({_NAMED_THINGS})\b", q)):
        kind = "person"  # any answer that is a name: a person, an agency, a country, a group
    elif re.match(r"^(?:where|in what city|in which city)", q):
        kind = "place"
    elif re.match(r"^(?:is|was|were|are|did|does|do|has|have|had|can|could|will|would)\b", q):
        kind = "yesno"
    elif said := _QUOTE_QUESTION.match(q):
        kind = "quote"  # "What did X say ...": the answer is X's own words
    else:
        kind = "other"
    generic = set(_GENERIC_QUESTION_TERMS)
    if named:  # "Which news agency ...": the answer names an agency; the sources need not say "agency"
        generic |= set(canonical_terms(named.group(1) + " news"))
    terms = [t for t in canonical_terms(question) if t not in generic]
    counted: tuple[str, ...] = ()
    if kind == "quantity":  # "How many of Al-Kadhimi's security guards were wounded" counts guards
        auxiliary = r"were|was|are|is|did|do|does|have|has|had|will|would"
        match = re.search(rf"how (?:many|much)\s+(.*?)(?:\s+(?:{auxiliary})\b|\?|$)", q)
        if match:
            counted = tuple(dict.fromkeys(canonical_terms(match.group(1))))
    speaker: tuple[str, ...] = ()
    if kind == "quote" and said:
        who = question.strip()[said.start(1) : said.end(1)]
        speaker = tuple(t for t in dict.fromkeys(canonical_terms(who)) if t not in generic)
    return Question(question, kind, tuple(dict.fromkeys(terms)), counted, speaker)


_QUOTE_QUESTION = re.compile(
    r"^(?:what|how)\s+(?:did|does|do|has|have|had)\s+(.+)\s+"
    r"(?:say|said|tweet|tweeted|write|wrote|post|posted|call|called|describe|described|tell|told|announce|"
    r"announced|state|stated|declare|declared|claim|claimed)\b"
)
_QUOTATION = re.compile(r"[\"“”«»][^\"“”«»]{3,}[\"“”«»]|[\"“][^\"“”«»]{12,}$")
_ATTRIBUTED = re.compile(r"\b(?:said|says|told|tells|tweeted|wrote|writes|stated|states|announced|declared|claimed|"
                         r"called|calling|described|describing|added|adding|confirmed|reported|denied|warned|"
                         r"insisted|explained|noted|according to)\b")
_PRONOUN = re.compile(r"\b(?:he|she|him|his|her|they|them|their)\b", re.IGNORECASE)


def has_pronoun(text: str) -> bool:
    """Whether `text` refers back to someone ("he said", "their seats") whom an earlier sentence names."""
    return bool(_PRONOUN.search(text))


def speaker_named(question: Question, text: str) -> bool:
    """For a quote question, whether `text` (with its context) names the speaker the question asks about."""
    return set(question.speaker) <= set(canonical_terms(text))


_NAMED_THINGS = ("spokesman|spokesperson|spokeswoman|official|person|minister|leader|president|group|country|"
                 "countries|agency|organi[sz]ation|company|newspaper|outlet|channel|city|militia|party|ministry")

# Words that shape a question but say nothing about which facts answer it.
_GENERIC_QUESTION_TERMS = {stem(w) for w in ("happen", "happened", "occur", "occurred", "take", "took", "place",
                                             "exactly", "report", "reported", "article", "articles", "say", "tell",
                                             "name", "describe", "mention", "mentioned", "state", "stated",
                                             "use", "used", "using", "involve", "involved", "make", "made",
                                             "get", "got", "give", "given", "exact", "number", "total",
                                             "day", "date", "time", "year", "month", "week",
                                             # what kind of answer is wanted, not what it is about
                                             "job", "position", "post", "role", "title", "hold", "held",
                                             "share", "proportion", "percentage", "fraction", "portion",
                                             "doing", "shortly", "exactly", "kind", "type", "sort")}


def term_weights(pool: Sequence[Evidence]) -> Callable[[str], float]:
    """Inverse document frequency of a term over the pool's sentences."""
    docs = [set(canonical_terms(e.text)) for e in pool]
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


_COUNT_GAP_WORDS = 4


def answer_values(kind: str, text: str, focus: Sequence[str] = ()) -> list[str]:
    """The values of the wanted kind in `text`: quantities ("seven", "several") or dates ("Sunday", "August 7").

    With `focus` terms, a quantity counts only when one of them follows it closely ("seven of the
    guards", not "two officials"), nearest first.
    """
    if kind == "quantity":
        found = [(m.start, m.end, m.text.lower()) for m in numbers(text)]
        found += [(m.start(), m.end(), m.group(0).lower()) for m in _VAGUE.finditer(text)]
        found.sort()
        if not focus:
            return [v for _, _, v in found]
        positions = [m.start() for m in re.finditer(r"[A-Za-z0-9']+", text)
                     if _CANONICAL.get(stem(m.group(0)), stem(m.group(0))) in focus]
        ranked = []
        for _start, end, value in found:
            # "seven of al-Kadhimi's security guards" counts guards; "three rockets landed near the embassy"
            # does not count embassies: at most four words between the number and what it counts.
            after = [p - end for p in positions if p >= end and len(words(text[end:p])) <= _COUNT_GAP_WORDS]
            if after:
                ranked.append((min(after), value))
        return [v for _, v in sorted(ranked)]
    if kind == "date":
        return [m.group(0) for m in _DATE.finditer(text)]
    return []


def value_near_terms(kind: str, text: str, terms: Sequence[str], within: int = 8) -> bool:
    """Whether a value of the asked kind stands within `within` words of one of the question's terms
    ("survived an attempt ... on Sunday" dates the attack; "In a tweet made on Sunday, ... the attack" less so)."""
    if kind == "date":
        spans = [(m.start(), m.end()) for m in _DATE.finditer(text)]
    elif kind == "quantity":
        spans = [(m.start, m.end) for m in numbers(text)] + [(m.start(), m.end()) for m in _VAGUE.finditer(text)]
    else:
        return False
    places = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z0-9']+", text)
              if _CANONICAL.get(stem(m.group(0)), stem(m.group(0))) in terms]
    for start, end in spans:
        for place_start, place_end in places:
            between = text[end:place_start] if place_start >= end else text[place_end:start]
            if len(words(between)) <= within:
                return True
    return False


def normalize_value(kind: str, value: str) -> str:
    """"7" and "seven" are one value; "Aug. 7" and "August 7" too."""
    if kind == "quantity":
        vals = number_values(value)
        if vals:
            number = next(iter(vals))
            return str(int(number)) if number == int(number) else str(number)
        return value.lower()
    return re.sub(r"\s+", " ", value.replace(".", "")).strip().lower()


def question_names(question: str) -> set[str]:
    """Names the question mentions ("Abu Ali Al-Askari" gives abu, ali, askari)."""
    return _names(question) - _CALENDAR_WORDS


def has_answer_value(kind: str, text: str, focus: Sequence[str] = ()) -> bool:
    """Whether `text` holds a value of the kind the question wants (a count of the focus terms, a date, a name)."""
    if kind in ("quantity", "date"):
        return bool(answer_values(kind, text, focus))
    if kind == "person":  # a name the question did not already give
        return bool(_names(text) - set(focus) - _CALENDAR_WORDS)
    if kind == "quote":  # someone's words: quoted, or reported ("the government said the drones ...")
        return bool(_QUOTATION.search(text) or _ATTRIBUTED.search(text))
    return True


# Conflicts -------------------------------------------------------------------------------------

@dataclass
class ValueClaim:
    """One article's value for what the question asks, with the sentences that state it."""

    value: str
    display: str
    evidence: list[Evidence]


def find_conflicts(question: Question, candidates: Sequence[Evidence]) -> list[ValueClaim]:
    """Different values that articles give for the asked quantity or date; empty when they agree.

    `candidates` are sentences already judged relevant to the question, best first; each article
    contributes the value of its most relevant sentence that states one.
    """
    if question.kind not in ("quantity", "date"):
        return []
    per_article: dict[str, tuple[str, str, Evidence]] = {}
    for evidence in candidates:
        if evidence.article_id in per_article:
            continue
        values = answer_values(question.kind, evidence.text, question.counted) if question.counted else []
        values = values or answer_values(question.kind, evidence.text, question.terms)
        if values:
            per_article[evidence.article_id] = (normalize_value(question.kind, values[0]), values[0], evidence)
    claims: dict[str, ValueClaim] = {}
    for value, display, evidence in per_article.values():
        claim = claims.setdefault(value, ValueClaim(value, display, []))
        claim.evidence.append(evidence)
    if len(claims) < 2:
        return []
    for claim in claims.values():  # show the value as most articles write it ("seven" rather than "7")
        spelled = [v for e in claim.evidence
                   for v in (answer_values(question.kind, e.text, question.counted or question.terms)
                             or answer_values(question.kind, e.text, question.terms))[:1]]
        claim.display = max(set(spelled), key=lambda v: (spelled.count(v), v.isalpha()), default=claim.display)
    return sorted(claims.values(), key=lambda c: (-len(c.evidence), -max(e.relevance for e in c.evidence)))
