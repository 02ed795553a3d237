"""The answer engine: retrieve passages, let the LLM draft, then keep only what verified quotes support."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.candidates import common_words
from assistant.answer.confidence import Features, answer_features, confidence
from assistant.answer.conflicts import candidate_conflicts, find_conflicts, span_conflicts, states
from assistant.answer.evidence import (
    ABSTAIN_TEXT,
    AnswerSentence,
    CheckedSentence,
    Citation,
    Claim,
    Conflict,
    Evidence,
)
from assistant.answer.markers import draft_is_complete, parse_markers, render_sentence
from assistant.answer.question import (
    Question,
    analyse_question,
    answers_question,
    fits,
    has_pronoun,
    holds_names,
    lexical_in_context,
    lexical_relevance,
    term_weights,
)
from assistant.answer.recency import date_reports, mark_stale, newest_only, not_before
from assistant.answer.selection import Candidate, answer_marks, direct_answer, holds, rank_candidates
from assistant.answer.support import as_quoted, find_support, quote_support, verify_sentences
from assistant.answer.values import has_answer_value
from assistant.config import Settings
from assistant.corpus import StoredChunk
from assistant.errors import UserError
from assistant.limits import MAX_QUESTION_CHARS
from assistant.resources import load_prompt
from assistant.runtime import Loading, VectorCache, chat_messages, translate_llm_error
from assistant.text import words

if TYPE_CHECKING:
    from assistant.corpus import IngestReport

PROMPT_SOURCES = 5
MAX_ANSWER_SENTENCES = 4
CONFLICT_MIN_LEXICAL = 0.6
COPY_MIN_LEXICAL = 0.25  # a sentence of a copy that holds a quarter of the question's terms may differ in the answer


@dataclass
class Answer:
    """A verified answer; `to_json()` is the `ask --json` contract."""

    question: str
    answer: str
    abstained: bool
    sentences: list[AnswerSentence]
    citations: list[Citation]
    conflicts: list[Conflict]
    model: str
    timings_ms: dict[str, float]
    draft: str = ""
    retrieved: list[StoredChunk] = field(default_factory=list)
    confidence: float = 1.0  # an answer's: how likely it is right; an abstention's: 1 - the withheld answer's
    features: dict[str, float] = field(default_factory=dict)  # what `confidence` was computed from (not in the JSON)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "sentences": [s.to_json() for s in self.sentences],
            "citations": [asdict(c) for c in self.citations],
            "conflicts": [asdict(c) for c in self.conflicts],
            "confidence": self.confidence,
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


class Engine:
    """Question in, verified answer out; the retriever, LLM and embedding model are injected."""

    def __init__(self, retriever: Any, llm: Any, embed_model: Any, model_name: str, top_k: int = 6,
                 vector_cache: VectorCache | None = None, min_confidence: float = 0.0) -> None:
        self.retriever = retriever
        self.min_confidence = min_confidence
        self.llm = llm
        self.embed_model = embed_model
        self.model_name = model_name
        self.top_k = top_k
        self.vector_cache = vector_cache
        self._vectors: dict[str, list[float]] = {}

    # Embedding helpers -----------------------------------------------------------------------

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            compute = self.embed_model.get_text_embedding_batch
            vectors = self.vector_cache.embed(missing, compute) if self.vector_cache else compute(missing)
            self._vectors.update(zip(missing, vectors, strict=True))
        return [self._vectors[t] for t in texts]

    def similarity(self, claim: str, quotes: Sequence[str]) -> list[float]:
        vectors = self._embed([claim, *quotes])
        head = vectors[0]
        return [sum(a * b for a, b in zip(head, v, strict=True)) for v in vectors[1:]]

    # Steps -----------------------------------------------------------------------------------

    def evidence_for(self, question: Question, chunks: Sequence[StoredChunk],
                     neighbours: Sequence[StoredChunk] = ()) -> list[Evidence]:
        """Every sentence of the retrieved chunks and of the `neighbours` read beside them, scored for relevance to
        the question, best first."""
        pool = [e for c in chunks for e in _sentences_of(c)] + [e for c in neighbours for e in _sentences_of(c, True)]
        unique = list({e.key: e for e in pool}.values())
        if not unique:
            return []
        weight = term_weights(unique)
        dense = self.similarity(question.text, [e.text for e in unique])
        scored = []
        for evidence, cosine in zip(unique, dense, strict=True):
            lexical = lexical_relevance(question, evidence.text, weight)
            bonus = 0.1 if has_answer_value(question.kind, evidence.text, question.terms) else 0.0
            relevance = 0.55 * lexical + 0.45 * cosine + bonus
            scored.append(Evidence(**{**evidence.__dict__, "relevance": relevance}))
        return sorted(scored, key=lambda e: -e.relevance)

    def draft(self, question: str, sources: Sequence[Evidence], on_token: Callable[[str], None] | None) -> str:
        """The model's answer to the question from the numbered sources, streamed to `on_token`."""
        numbered = "\n".join(f"[{i}] {e.text}" for i, e in enumerate(sources, 1))
        messages = chat_messages(self.llm, load_prompt("system"),
                                 load_prompt("answer").format(sources=numbered, question=question))
        text = ""
        stream = self.llm.stream_chat(messages)
        try:
            for part in stream:
                delta = part.delta or ""
                text += delta
                if on_token and delta:
                    on_token(delta)
                if draft_is_complete(text, MAX_ANSWER_SENTENCES):
                    break  # more sentences would only be dropped: stop paying for them
        except UserError:
            raise
        except Exception as exc:
            raise translate_llm_error(exc) from None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return text

    # The whole pipeline ----------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None = None, lenient: bool = False,
            on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer `question` with verified citations, or abstain."""
        question = question.strip()
        if not question:
            raise UserError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:  # the CLI checks first; the chat and evals rely on this
            raise UserError(f"the question is too long ({len(question)} characters; at most {MAX_QUESTION_CHARS})")
        timings: dict[str, float] = {}
        started = time.perf_counter()
        q = analyse_question(question)
        # A local model loads (once) while the passages are retrieved.
        with Loading(getattr(self.llm, "_load", None)):
            chunks = self.retriever.retrieve_chunks(question, top_k or self.top_k,
                                                    not_before=not_before(q, self.retriever.newest_date))
            # The best passages' neighbours are read too: the answer may stand a paragraph away.
            neighbours = getattr(self.retriever, "neighbours", None)
            dates = getattr(self.retriever, "article_dates", None)
            pool = mark_stale(q, self.evidence_for(q, chunks, neighbours(chunks) if neighbours else []),
                              self.retriever.newest_date, dates)
            pool = date_reports(q, pool, dates)
        timings["retrieve"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        sources = pool[:PROMPT_SOURCES]
        draft = self.draft(question, sources, on_token) if sources else ""
        timings["generate"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        answer = self._compose(q, draft, sources, pool, lenient)
        if not answer.abstained and answer.confidence < self.min_confidence and not lenient:
            answer = Answer(q.text, ABSTAIN_TEXT, True, [], [], [], self.model_name, {}, draft=draft,
                            confidence=round(1 - answer.confidence, 4), features=answer.features)
        timings["verify"] = (time.perf_counter() - started) * 1000
        answer.timings_ms = timings
        answer.retrieved = list(chunks)
        return answer

    def _compose(self, q: Question, draft: str, sources: Sequence[Evidence], pool: Sequence[Evidence],
                 lenient: bool) -> Answer:
        weight = term_weights(pool)
        common = common_words([e.text for e in pool], getattr(self.retriever, "written_in_lower_case", None))
        fitting = [e for e in pool if fits(q, e)]
        lexical = {e.key: lexical_in_context(q, e, weight) for e in fitting}
        cosine = dict(zip([e.key for e in fitting], self.similarity(q.text, [e.text for e in fitting]), strict=True))
        relevant = [e for e in fitting if _is_relevant(lexical[e.key], cosine[e.key])]
        fitting, relevant, newer = newest_only(fitting, relevant)  # months-older reports tell of earlier events
        checked = verify_sentences(draft, sources, pool, self.similarity, q.text)
        kept: list[CheckedSentence] = []
        for sentence in checked:
            if any(" ".join(words(k.text)) == " ".join(words(sentence.text)) for k in kept):
                continue  # the model said it twice
            # Not the 2018 final for the 2019 one, nor 2019's strike for the one in the news.
            sentence.evidence = [e for e in sentence.evidence if fits(q, e) and not (newer and e.stale)]
            if sentence.supported and not answers_question(q, sentence, weight, common, self.similarity):
                continue  # true per the sources, but not about what was asked
            if sentence.supported or lenient:
                kept.append(sentence)
        kept = kept[:MAX_ANSWER_SENTENCES]
        # Conflicting values count only from sentences about what was asked (most of its terms in the
        # sentence itself: "On Friday, one person was killed" after a sentence about the attack does not
        # date the attack).
        own = {e.key: lexical_relevance(q, e.text_with_referents, weight) for e in relevant}
        about = [e for e in relevant if own[e.key] >= CONFLICT_MIN_LEXICAL]
        # Copies of one report are compared sentence by sentence, however little the differing one says of the
        # question ("... the dress Monroe wore in 1962, designed by Bob Mackie" / "... by Karl Lagerfeld").
        relevant_keys = {e.key for e in relevant}
        copies = [e for e in fitting if e.key in relevant_keys or lexical[e.key] >= COPY_MIN_LEXICAL]
        claims = find_conflicts(q, about)
        if not claims:
            claims = span_conflicts(q, about, common, copies=copies)
            if claims:  # the model's sentences must state a side ("Beyonce's new song is an anthem" states none)
                kept = [s for s in kept if not s.supported or any(states(s.text, c.value) for c in claims)]
        ranked: list[Candidate] = []
        if q.atype and not claims:
            scored = [(e, _relevance(lexical[e.key], cosine[e.key])) for e in relevant]
            ranked = rank_candidates(q, scored, [e.text for e in pool], common, weight)
            claims = candidate_conflicts(q, ranked, pool)
            if claims:  # the answer gives the first side, whatever the articles agree on besides
                ranked = sorted(ranked, key=lambda c: c.key != claims[0].value)
        if ranked:  # the answer gives the best-supported candidate, in the model's words if it gave that one
            top = ranked[0]
            kept = [s for s in kept if not s.supported or holds(q, s.text, top, common)]
            best = top.occurrences[0].evidence
            if not any(s.supported for s in kept) and holds_names(q, best.text_in_passage):
                kept.insert(0, CheckedSentence(text=parse_markers(best.text)[0],
                                                evidence=quote_support(best, relevant, self.similarity),
                                                repaired=True, picked=True))
        elif not any(s.supported and has_answer_value(q.kind, s.text, q.terms) for s in kept):
            if q.kind in ("quantity", "date", "quote"):  # sentences without the asked value do not answer
                kept = [s for s in kept if not s.supported]
            # A side of a conflict between copies of one report is a relevant sentence that gives the value, however
            # few of the question's terms it holds.
            direct = direct_answer(q, claims[0].evidence if claims else relevant, lexical, common,
                                   needed=0.0 if claims else None)
            if direct is not None:
                support = find_support(direct.text, relevant, self.similarity) or [direct]
                # The quote stays verbatim in `citations`; the answer sentence loses any "[n]" the article had.
                kept.insert(0, CheckedSentence(text=parse_markers(direct.text)[0], evidence=support, repaired=True,
                                                picked=True))
        kept = as_quoted(kept, relevant or pool, self.similarity)[:MAX_ANSWER_SENTENCES]
        if not any(s.supported for s in kept):
            return Answer(q.text, ABSTAIN_TEXT, True, [], [], [], self.model_name, {}, draft=draft)

        numbering: dict[tuple[str, int, int], Citation] = {}

        def cite(evidence: Evidence) -> int:
            if evidence.key not in numbering:
                numbering[evidence.key] = Citation(len(numbering) + 1, evidence.source, evidence.title,
                                                   evidence.text, evidence.start, evidence.end)
            return numbering[evidence.key].n

        chosen, value = (ranked[0] if ranked else None), (claims[0].value if claims else "")
        sentences = [AnswerSentence(s.text, [cite(e) for e in s.evidence], s.supported,
                                    answer_marks(q, s.text, chosen, common, value) if s.supported else [])
                     for s in kept]
        conflicts = []
        if claims:
            conflicts.append(Conflict(q.text, [Claim(c.display, [cite(e) for e in c.evidence]) for c in claims]))
            parts = [f'"{c.display}" ' + "".join(f"[{n}]" for n in sorted(cite(e) for e in c.evidence)) for c in claims]
            sentences.append(AnswerSentence("The articles differ: " + ", ".join(parts[:-1]) + f" and {parts[-1]}.",
                                            sorted({n for c in conflicts[0].claims for n in c.citations}), True))
        text = " ".join(render_sentence(s) for s in sentences)
        features = self._features(q, kept, bool(conflicts), len({c.source for c in numbering.values()}), weight,
                                  common, ranked)
        return Answer(q.text, text, False, sentences, sorted(numbering.values(), key=lambda c: c.n), conflicts,
                      self.model_name, {}, draft=draft, confidence=confidence(features), features=features.as_dict())

    def _features(self, q: Question, kept: Sequence[CheckedSentence], conflict: bool, articles: int,
                  weight: Callable[[str], float], common: set[str], ranked: list[Candidate]) -> Features:
        """What the answer's confidence is computed from: its first supported sentence's best quote, and the
        candidate answers it was chosen from."""
        first = next(s for s in kept if s.supported)
        lexical, best = max(((lexical_in_context(q, e, weight), e) for e in first.evidence), key=lambda x: x[0])
        return answer_features(q, best, lexical, self.similarity(q.text, [best.text])[0], articles, first.picked,
                               conflict, common, ranked)


def _is_relevant(lexical: float, cosine: float) -> bool:
    """Whether a sentence is about the question: most of its terms, some and a close meaning, or a very close one."""
    return lexical >= 0.5 or (lexical >= 0.25 and cosine >= 0.5) or cosine >= 0.65


def _relevance(lexical: float, cosine: float) -> float:
    """How far a sentence is about the question, 0-1: its share of the question's terms and its similarity."""
    return 0.6 * lexical + 0.4 * max(0.0, cosine)


def _sentences_of(chunk: StoredChunk, neighbour: bool = False) -> list[Evidence]:
    """The chunk's sentences as evidence; one that says "he" or "they" carries the two before it and
    the title as context, so that "...," he said." can answer a question that names him."""
    sentences = chunk.sentence_texts()
    out = []
    for i, (start, end, text) in enumerate(sentences):
        if has_pronoun(text):
            context = " ".join([chunk.title, *(t for _, _, t in sentences[max(0, i - 2) : i])])
        else:  # the sentence before may set the scene ("Earlier on Friday, ...")
            context = sentences[i - 1][2] if i else ""
        out.append(Evidence(chunk.source, chunk.title, chunk.article_id, start, end, text, context=context,
                            passage=chunk.text, neighbour=neighbour))
    return out


KEYWORD_INDEX_STEP = "keyword index"  # the name `Session.ingest` gives its last step's progress


@dataclass
class Session:
    """The opened pieces: store, embedding model, retriever; the LLM is loaded on first use."""

    settings: Settings
    store: Any
    embed_model: Any
    retriever: Any
    vector_cache: VectorCache | None = None

    def engine(self, model: str | None = None, llm: Any = None) -> Engine:
        """An engine answering with `llm`, else with the LLM `model` names (None: the settings' model)."""
        from assistant.runtime import llm_for, model_label

        llm = llm if llm is not None else llm_for(self.settings, model)
        return Engine(self.retriever, llm, self.embed_model, model_label(llm), self.settings.top_k,
                      self.vector_cache, self.settings.min_confidence)

    def ingest(self, paths: list[Path], warn: Callable[[str], None], progress: Callable[[int, int, str], None],
               prune: bool = False) -> IngestReport:
        """Ingest `paths` into the store (`assistant.corpus.ingest.ingest_paths`), then bring the keyword index up to
        date, so that the next question does not pay for indexing what was just ingested. `progress(done,
        total, name)` hears of the files, then of the articles indexed (name "keyword index")."""
        from assistant.corpus import ingest_paths

        report = ingest_paths(paths, self.store, self.embed_model, self.settings.chunk_tokens, prune=prune,
                              warn=warn, progress=progress, batch_chunks=self.settings.ingest_batch_chunks)
        try:
            self.index_keywords(lambda done, total: progress(done, total, KEYWORD_INDEX_STEP))
        except TimeoutError as exc:  # another process kept it locked: the articles are stored anyway
            warn(f"the keyword index was not brought up to date ({exc}): the next question will do it")
        return report

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the embedding model, and Chroma's vector index,
        which Chroma reads into memory at a process's first search (0.4-0.7 s at 100,000 chunks, ~4 ms after)."""
        self.store.nearest(self.embed_model.get_query_embedding("warm up"), 1)

    def index_keywords(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Bring the keyword index up to the store's revision now (else the next question does); returns the
        number of articles indexed."""
        return int(self.retriever.keyword_index.sync(progress))


def open_session(settings: Settings, llm: Any = None, loading: Loading | None = None) -> Session:
    """Connect to the store and load the embedding model the settings name; given a local `llm` (from
    `runtime.llm_for`), also load it and evaluate the start of its prompts meanwhile. `loading`: those loads,
    started earlier by the caller (`runtime.start_loading`); joined here."""
    from assistant.corpus import build_retriever, open_store
    from assistant.runtime import embedding_model, embedding_name, start_loading

    embed = embedding_model(settings)
    # Chroma's import (about 0.5 s, Python holding the GIL) leaves the other core to the embedding's ONNX session
    # and, for `ask`, llama.cpp: loading the weights and evaluating the system prompt.
    with loading or start_loading(settings, llm):
        store = open_store(settings, embedding_name(settings))
    retriever = build_retriever(store, embed, settings.keyword_index_path, settings.top_k)
    return Session(settings, store, embed, retriever, VectorCache(settings.vector_cache_path, embedding_name(settings)))
