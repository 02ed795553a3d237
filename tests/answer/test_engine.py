"""The answer engine on the seeds: the real embedded model for behaviour, a scripted LLM for control flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.answer.engine import Answer, Engine
from tests.answer.samples import ArticlesRetriever

ANSWERABLE = [
    ("How many guards were injured?", "seven"),
    ("How many of the prime minister's guards were injured?", "seven"),
    ("When did the attack happen?", "Sunday"),
    ("Who is the prime minister of Iraq?", "Kadhimi"),
    ("What did the prime minister tweet after the attack?", "I am fine and among my people"),
    ("Who condemned the attack on behalf of the US State Department?", "Ned Price"),
    ("How many drones were used in the attack?", "two"),
    ("Who is Iran's top security official?", "Shamkhani"),
    ("How many protesters were killed on Friday?", "one"),
    ("What did Abu Ali Al-Askari say?", "waste a drone"),
    ("Which country's foreign ministry called it a cowardly terrorist act?", "Saudi"),
    ("When did Al-Kadhimi become prime minister?", "May last year"),
    ("How many Katyusha rockets landed near the U.S. embassy?", "three"),
]
UNANSWERABLE = [
    "How many people were arrested?",
    "What is the capital of France?",
    "Who won the 2022 World Cup?",
    "How much money was offered as a reward?",
    "What was the name of the drone operator?",
]


def assert_verified(answer: Answer) -> None:
    """Every citation is verbatim at its offsets and every sentence cites something."""
    for citation in answer.citations:
        text = Path(citation.source).read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.quote
    numbers = {c.n for c in answer.citations}
    for sentence in answer.sentences:
        assert sentence.citations and set(sentence.citations) <= numbers
        assert sentence.supported
    if answer.abstained:
        assert answer.answer == "The articles do not say." and not answer.citations


@pytest.mark.slow
@pytest.mark.parametrize("question", ["How many guards were injured?",
                                      "How many of the prime minister's guards were injured?"])  # `make demo`'s
def test_guards_question_answers_seven_with_conflict(embedded_engine: Engine, question: str) -> None:
    answer = embedded_engine.ask(question)
    assert not answer.abstained
    assert "seven" in answer.answer.lower() or " 7 " in answer.answer
    assert_verified(answer)
    assert len(answer.conflicts) == 1
    values = {claim.value for claim in answer.conflicts[0].claims}
    assert "seven" in values and values & {"several", "a few"}
    for claim in answer.conflicts[0].claims:
        assert claim.citations
    seven_sources = {
        Path(answer.citations[n - 1].source).name
        for claim in answer.conflicts[0].claims
        if claim.value == "seven"
        for n in claim.citations
    }
    assert seven_sources == {"000_afcf459c4b38308b.txt", "001_b424cb375d711392.txt", "004_080663b71aaf09f0.txt"}


@pytest.mark.slow
def test_seed_questions_accuracy_abstention_and_verbatim_citations(embedded_engine: Engine) -> None:
    right = 0
    failures = []
    for question, gold in ANSWERABLE:
        answer = embedded_engine.ask(question)
        assert_verified(answer)
        if not answer.abstained and gold.lower() in answer.answer.lower():
            right += 1
        else:
            failures.append((question, answer.answer))
    assert right * 4 >= len(ANSWERABLE) * 3, failures
    for question in UNANSWERABLE:
        answer = embedded_engine.ask(question)
        assert answer.abstained, (question, answer.answer)
        assert_verified(answer)


# Each needs one piece of question analysis: a quote question with its speaker named only by "he" in the
# sentence before; "they" for the militia supporters; the scene ("on Friday") set by the sentence before;
# "told" for "speak to"; "on what date" as a date question with "held" not required in the source.
PARAPHRASED = [
    ("What did Al-Kadhimi say on television about the attack?", "don’t build homelands"),
    ("How did militia supporters describe the early election results?", "manipulation"),
    ("Which news agency did the two Iraqi officials speak to?", "Associated Press"),
]
# Since the keyword index moved to tantivy (516913b: possessives searched, its BM25), other sentences rank first and
# the engine answers with them ("demonstrators pelted police with stones"; "protests ... against the results of the
# recent parliamentary elections"): cited answers that do not answer, failure classes 2-3 of issue 22. Kept as the
# expected behaviour until the answer path is reworked. (The "tear gas" sentence is read since the engine reads the
# best passages' neighbours, but ranks below the stones one.)
REGRESSED = [("What did the security forces use against demonstrators on Friday?", "tear gas"),
             ("On what date was Iraq's parliamentary election held?", "October 10")]
# Words of someone the articles never quote; a count of something the articles never count.
NOT_IN_THE_ARTICLES = ["What did Iraq's president say about the attack?", "How many embassies are in the Green Zone?"]


@pytest.mark.slow
def test_paraphrased_questions_are_answered_and_near_misses_abstain(embedded_engine: Engine) -> None:
    for question, gold in PARAPHRASED:
        answer = embedded_engine.ask(question)
        assert not answer.abstained and gold.lower() in answer.answer.lower(), (question, answer.answer)
        assert_verified(answer)
    for question in NOT_IN_THE_ARTICLES:
        answer = embedded_engine.ask(question)
        assert answer.abstained, (question, answer.answer)


@pytest.mark.slow
@pytest.mark.xfail(reason="issue 22: a cited sentence that does not answer (tantivy ranking)", strict=True)
@pytest.mark.parametrize(("question", "gold"), REGRESSED, ids=["scene-set-before", "possessive-date"])
def test_paraphrases_regressed_by_the_tantivy_ranking(embedded_engine: Engine, question: str, gold: str) -> None:
    answer = embedded_engine.ask(question)
    assert not answer.abstained and gold.lower() in answer.answer.lower(), (question, answer.answer)


@pytest.mark.slow
def test_date_conflict_is_reported(embedded_engine: Engine) -> None:
    answer = embedded_engine.ask("When did the attack happen?")
    assert_verified(answer)
    values = {claim.value for conflict in answer.conflicts for claim in conflict.claims}
    # Exactly these: "On Friday, one person was killed" follows a sentence about the attack in one
    # article, but it dates the clashes, not the attack.
    assert values == {"Sunday", "August 7"}
    assert "Sunday" in answer.sentences[0].text and "attempt" in answer.sentences[0].text


# Control flow with a scripted model --------------------------------------------------------------


class ScriptedLLM:
    """Streams a fixed reply, whatever it is asked."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def stream_chat(self, messages: list) -> Iterator[SimpleNamespace]:  # type: ignore[type-arg]
        self.prompts.append(messages[-1].content)
        for word in self.reply.split(" "):
            yield SimpleNamespace(delta=word + " ")


def _engine(seeded_session, reply: str) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(seeded_session.retriever, ScriptedLLM(reply), seeded_session.embed_model, "scripted", 10)


def test_wrong_number_is_dropped_and_the_sources_answer_instead(seeded_session) -> None:  # type: ignore[no-untyped-def]
    answer = _engine(seeded_session, "Eight of Al Kadhimi's security guards were injured [1].").ask(
        "How many guards were injured?"
    )
    assert "Eight" not in answer.answer and "eight" not in answer.answer
    assert_verified(answer)
    assert not answer.abstained  # the engine found the sources' own answer


def test_invented_answer_abstains(seeded_session) -> None:  # type: ignore[no-untyped-def]
    answer = _engine(seeded_session, "The capital of France is Paris [1].").ask("What is the capital of France?")
    assert answer.abstained and answer.citations == [] and answer.sentences == []


def test_lenient_keeps_unsupported_sentences_marked(seeded_session) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(
        seeded_session,
        "Seven of Al Kadhimi's security guards were injured [1]. The drones were launched from Syria [2].",
    )
    strict = engine.ask("How many guards were injured?")
    assert all(s.supported for s in strict.sentences) and "Syria" not in strict.answer
    lenient = engine.ask("How many guards were injured?", lenient=True)
    unsupported = [s for s in lenient.sentences if not s.supported]
    assert [s.text for s in unsupported] == ["The drones were launched from Syria."]
    assert unsupported[0].citations == [] and "[unsupported]" in lenient.answer


def test_citations_to_missing_sources_are_never_kept(seeded_session) -> None:  # type: ignore[no-untyped-def]
    answer = _engine(seeded_session, "Ned Price said the attack was an apparent act of terrorism [9].").ask(
        "What did the State Department spokesman call the attack?"
    )
    assert_verified(answer)
    assert all(1 <= n <= len(answer.citations) for s in answer.sentences for n in s.citations)


def test_the_prompt_numbers_the_sources(seeded_session) -> None:  # type: ignore[no-untyped-def]
    llm = ScriptedLLM("Seven guards were injured [1].")
    Engine(seeded_session.retriever, llm, seeded_session.embed_model, "scripted", 10).ask(
        "How many guards were injured?"
    )
    assert "[1] " in llm.prompts[0] and "Question: How many guards were injured?" in llm.prompts[0]


def test_json_contract_shape(seeded_session) -> None:  # type: ignore[no-untyped-def]
    data = _engine(seeded_session, "Seven guards were injured [1].").ask("How many guards were injured?").to_json()
    assert set(data) == {
        "question",
        "answer",
        "abstained",
        "sentences",
        "citations",
        "conflicts",
        "confidence",
        "model",
        "timings_ms",
    }
    assert 0.0 <= data["confidence"] <= 1.0
    assert set(data["timings_ms"]) == {"retrieve", "generate", "verify"}
    for citation in data["citations"]:
        assert set(citation) == {"n", "source", "title", "quote", "start", "end"}
    for sentence in data["sentences"]:
        assert set(sentence) == {"text", "citations", "supported"}
    for conflict in data["conflicts"]:
        assert set(conflict) == {"about", "claims"}
        assert all(set(claim) == {"value", "citations"} for claim in conflict["claims"])


def test_the_words_that_answer_are_marked_for_the_chat(seeded_session) -> None:  # type: ignore[no-untyped-def]
    """A source sentence given as the answer carries where in it the answer stands (`AnswerSentence.marks`): the
    chosen candidate, or the first side of a conflict; not every span of the asked type ("Two Iraqi officials")."""
    engine = _engine(seeded_session, "I cannot tell from these sources.")
    condemned = engine.ask("Who condemned the attack?").sentences[0]
    assert [condemned.text[a:b] for a, b in condemned.marks] == ["US State Department"]
    counted = engine.ask("How many of the prime minister's guards were injured?")
    first = counted.sentences[0]
    marked = [first.text[a:b] for a, b in first.marks]
    assert marked and {m.lower() for m in marked} <= {"7", "seven"}, first.text
    assert "marks" not in counted.to_json()["sentences"][0]  # the chat's, not the JSON contract's
    assert engine.ask("What is the capital of France?").sentences == []


DIVORCE = ("Verrano and Kest to part\n2022-06-20\n\nShipping magnate Aldo Verrano and the singer Mira Kest are "
           "divorcing after six years of marriage, their agents said on Monday. The couple married in London in "
           "2016 and have no children together. Verrano has homes in Genoa and Monaco.\n")


def test_a_drafted_number_of_another_unit_answers_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's sentence is quoted word for word, and its number is no count of what was asked: six years of
    marriage do not say how many times he has been divorced. Asked in the unit the sentence gives, it answers."""
    from assistant.answer import open_session
    from assistant.config import load_settings
    from tests.cli_helpers import run_cli

    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "divorce.txt").write_text(DIVORCE, encoding="utf-8")
    ingested = run_cli("ingest", str(tmp_path / "news"), home=tmp_path / "home")
    assert ingested.returncode == 0, ingested.stderr
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    engine = _engine(open_session(load_settings()),
                     "Aldo Verrano and the singer Mira Kest are divorcing after six years of marriage [1].")
    times = engine.ask("How many times has Aldo Verrano been divorced, now that he is to end his marriage to "
                       "Mira Kest?")
    assert times.abstained and times.citations == [], times.answer
    years = engine.ask("How many years were Aldo Verrano and Mira Kest married?")
    assert not years.abstained and "six years" in years.answer
    assert_verified(years)


SPIRE = ("Rust found on the Calder Spire\n2022-07-05\n\nThe Calder Spire in Varnholm is reportedly riddled with rust "
         "and badly in need of repairs, according to a report seen by the Varnholm Courier. However, the iconic "
         "landmark is instead being given a paint job costing 60 million crowns before next year's games, the report "
         "says. The spire was built in 1889.\n")

FEES = ("Harbour fees to rise\n2022-07-04\n\nThe port of Lemmes said its fees would rise in August. Shipping firms, "
        "however, said they had not been told.\n")

def test_a_common_word_opening_a_sentence_is_no_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """"However, the iconic landmark ..." reads like an apposition ("Harlow, the oldest school"), but "However" is
    capitalised only because it opens the sentence, and another article, not retrieved, writes it in lower case: the
    answer names the landmark the articles name."""
    from assistant.answer import open_session
    from assistant.config import load_settings
    from tests.cli_helpers import run_cli

    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "spire.txt").write_text(SPIRE, encoding="utf-8")
    (tmp_path / "news" / "fees.txt").write_text(FEES, encoding="utf-8")
    ingested = run_cli("ingest", str(tmp_path / "news"), home=tmp_path / "home")
    assert ingested.returncode == 0, ingested.stderr
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    session = open_session(load_settings())
    engine = Engine(session.retriever, ScriptedLLM("The iconic landmark is being given a paint job [1]."),
                    session.embed_model, "scripted", 1)  # one chunk retrieved: the fees report is not
    answer = engine.ask("Which iconic landmark is reportedly riddled with rust and badly in need of repairs?")
    assert not answer.abstained and "Calder Spire" in answer.answer, answer.answer
    assert not answer.answer.startswith("However")
    assert_verified(answer)


_CUP = {"final.txt": ("Wolves win the Halvic Cup", "Port Adler Wolves defeated Castellan Rovers 87-81 in the final on "
                      "Saturday to win the Halvic Cup. The attendance of 18,200 was a record.")}


@pytest.mark.parametrize("draft", ["The Halvic Cup was won by Castellan Rovers [1].",
                                   "Castellan Rovers won the Halvic Cup [1].",
                                   "Castellan Rovers [1]."], ids=["passive", "active", "name-only"])
def test_a_paraphrase_that_swaps_roles_never_reaches_the_answer(seeded_session, draft: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 22's failure class 2: the model's sentence holds every word of the quote ("won" / "win", both names)
    with the roles swapped, which the support check, reading words, numbers, names and negation, cannot see. The
    answer is the source sentence itself, cited, never the model's rewording."""
    articles = ArticlesRetriever(_CUP)
    answer = articles.engine(seeded_session.embed_model, draft).ask("Who won the Halvic Cup?")
    assert not answer.abstained
    assert answer.answer.startswith("Port Adler Wolves defeated Castellan Rovers 87-81"), answer.answer
    assert "won by" not in answer.answer and not answer.answer.startswith("Castellan")
    assert all(articles.verbatim(c) for c in answer.citations) and all(s.citations for s in answer.sentences)


def test_the_models_own_words_are_kept_when_they_are_a_source_sentence(seeded_session) -> None:  # type: ignore[no-untyped-def]
    """A draft sentence that is a source sentence word for word stays as it is, cited, and a second sentence saying
    the same is kept once."""
    articles = ArticlesRetriever(_CUP)
    draft = "The attendance of 18,200 was a record [1]. The attendance of 18,200 was a record."
    answer = articles.engine(seeded_session.embed_model, draft).ask("What was the attendance at the final?")
    assert answer.answer == "The attendance of 18,200 was a record [1].", answer.answer
