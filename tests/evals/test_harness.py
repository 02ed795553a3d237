"""The eval harness's metrics, gold validation and reports, on hand-built answers (no model, no store)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.errors import UserError
from assistant.evals.baseline import node_quote, to_system_answer
from assistant.evals.harness import (
    ArticleTexts,
    EvalResult,
    GoldItem,
    Quote,
    Sentence,
    SystemAnswer,
    _usage,
    alce_citations,
    canonical,
    check_floors,
    claim_of,
    conflict_sides,
    default_gold_path,
    llm_judge,
    load_gold,
    looks_abstained,
    matches_any,
    mentions,
    percentile,
    run_eval,
    score,
    select,
    source_recall,
    split_cited_sentences,
    totals,
    verifier_support,
)
from assistant.evals.reports import html_page, markdown, write_reports
from assistant.text import content_terms

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

ARTICLE = ("Seven of the prime minister's guards were injured in the attack. The attack happened on Sunday.\n"
           "Officials said he was unharmed.\n")
OTHER = "Several members of his protection team were injured. The strike hit his home.\n"


def lexical_support(claim: str, quotes: Sequence[str]) -> bool:
    """A transparent stand-in verifier: every content word and number of the claim is in the quotes."""
    joined = canonical(" ".join(quotes)).split()
    wanted = [w for w in canonical(claim).split() if w.isdigit() or w in {canonical(t) for t in content_terms(claim)}]
    return bool(quotes) and all(w in joined for w in wanted)


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    a = tmp_path / "a.txt"
    a.write_text(ARTICLE, encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text(OTHER, encoding="utf-8")
    return {"a": a, "b": b}


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


# Answer matching -------------------------------------------------------------------------------

def test_number_words_and_digits_are_the_same_answer() -> None:
    assert mentions("7 of his guards were hurt [1].", "seven")
    assert mentions("Seven guards were hurt.", "7")
    assert mentions("They lost around two-thirds of their seats.", "two thirds")
    assert not mentions("Seventeen guards were hurt.", "seven")
    assert not mentions("Several guards were hurt.", "seven")


def test_matching_ignores_case_punctuation_possessives_and_markers() -> None:
    assert mentions("Al-Kadhimi's residence", "al Kadhimi")
    assert mentions("The U.S. condemned it [2].", "U.S.")
    assert mentions("“Cowardly rocket and drone attacks don’t build homelands”", "don't build homelands")
    assert not mentions("the attack [3]", "3")
    assert matches_any("It was Ned Price.", ["Antony Blinken", "Price"])


def test_conflict_sides_fold_equivalent_answers() -> None:
    assert conflict_sides(["seven", "7", "several", "a few"]) == ["seven", "several", "a few"]


# Scoring one answer ----------------------------------------------------------------------------

def test_right_answer_with_verbatim_citation(corpus: dict[str, Path]) -> None:
    text = "Seven of the prime minister's guards were injured in the attack."
    ours = answer(text + " [1]", [Sentence(text, [1])], [quote(corpus["a"], text)], retrieved=[str(corpus["a"])])
    s = score(GUARDS, ours, lexical_support, ArticleTexts())
    assert (s.correct, s.right, s.attempted) == (True, True, True)
    assert (s.citation_recall, s.citation_precision) == (1.0, 1.0)
    assert (s.verbatim, s.verbatim_rate) == (1, 1.0)
    assert s.cited_source_recall == 1.0 and s.retrieval_recall == 1.0


def test_wrong_answer(corpus: dict[str, Path]) -> None:
    text = "Several members of his protection team were injured."
    ours = answer(text + " [1]", [Sentence(text, [1])], [quote(corpus["b"], text)])
    s = score(GUARDS, ours, lexical_support, ArticleTexts())
    assert s.correct is False and s.right is False and s.attempted
    assert s.citation_recall == 1.0  # well cited, but not the gold answer
    assert s.cited_source_recall == 0.0


def test_abstained_on_answerable_and_on_unanswerable() -> None:
    abstain = answer("The articles do not say.", [], [], abstained=True)
    missed = score(GUARDS, abstain, lexical_support, ArticleTexts())
    assert (missed.correct, missed.right, missed.attempted) == (False, False, False)
    assert missed.citation_recall is None and missed.verbatim_rate is None and missed.cited_source_recall is None
    good = score(OFF_TOPIC, abstain, lexical_support, ArticleTexts())
    assert (good.correct, good.right) == (None, True)


def test_answering_an_unanswerable_question_is_wrong_and_lowers_precision(corpus: dict[str, Path]) -> None:
    text = "The strike hit his home."
    hallucinated = answer(text, [Sentence(text, [1])], [quote(corpus["b"], text)])
    s = score(OFF_TOPIC, hallucinated, lexical_support, ArticleTexts())
    assert s.right is False and s.attempted
    right = score(GUARDS, answer("Seven guards.", [Sentence("Seven guards.", [])], []), lexical_support, ArticleTexts())
    summary = totals([s, right])
    assert summary["precision"] == 0.5  # one right out of two attempted
    assert summary["abstention_accuracy"] == 0.0 and summary["answer_accuracy"] == 1.0


def test_uncited_sentence_counts_against_recall_not_precision(corpus: dict[str, Path]) -> None:
    cited = "Seven of the prime minister's guards were injured in the attack."
    ours = answer("...", [Sentence(cited, [1]), Sentence("The guards were heroes.", [])],
                  [quote(corpus["a"], cited)])
    s = score(GUARDS, ours, lexical_support, ArticleTexts())
    assert s.citation_recall == 0.5
    assert s.citation_precision == 1.0


def test_answer_without_any_citation_has_zero_citation_precision() -> None:
    ours = answer("Seven guards were hurt.", [Sentence("Seven guards were hurt.", [])], [])
    s = score(GUARDS, ours, lexical_support, ArticleTexts())
    assert s.correct and s.citation_recall == 0.0 and s.citation_precision == 0.0 and s.verbatim_rate is None


def test_wrong_citation_supports_nothing(corpus: dict[str, Path]) -> None:
    claim = "Seven of the prime minister's guards were injured in the attack."
    wrong = quote(corpus["a"], "Officials said he was unharmed.")
    s = score(GUARDS, answer(claim, [Sentence(claim, [1])], [wrong]), lexical_support, ArticleTexts())
    assert s.correct and s.citation_recall == 0.0 and s.citation_precision == 0.0
    assert s.verbatim_rate == 1.0  # the quote is real, it just does not support the sentence


def test_irrelevant_extra_citation_lowers_precision_only(corpus: dict[str, Path]) -> None:
    claim = "Seven of the prime minister's guards were injured in the attack."
    quotes = [quote(corpus["a"], claim, 1), quote(corpus["a"], "The attack happened on Sunday.", 2)]
    result = alce_citations(answer(claim, [Sentence(claim, [1, 2])], quotes), lexical_support)
    assert (result.recall, result.precision) == (1.0, 0.5)


def test_two_quotes_needed_together_are_both_precise(corpus: dict[str, Path]) -> None:
    claim = "Seven guards were injured on Sunday."
    quotes = [quote(corpus["a"], "Seven of the prime minister's guards were injured in the attack.", 1),
              quote(corpus["a"], "The attack happened on Sunday.", 2)]
    result = alce_citations(answer(claim, [Sentence(claim, [1, 2])], quotes), lexical_support)
    assert (result.recall, result.precision) == (1.0, 1.0)


def test_engine_verifier_checks_numbers(corpus: dict[str, Path]) -> None:
    supports = verifier_support(None)
    assert supports("Seven guards were injured in the attack.",
                    ["Seven of the prime minister's guards were injured in the attack."])
    assert not supports("Nine guards were injured in the attack.",
                        ["Seven of the prime minister's guards were injured in the attack."])
    assert not supports("Seven guards were injured.", [])


def test_verbatim_needs_the_file_text_at_the_offsets(corpus: dict[str, Path]) -> None:
    texts = ArticleTexts()
    assert texts.verbatim(quote(corpus["a"], "The attack happened on Sunday."))
    assert not texts.verbatim(quote(corpus["a"], "The attack happened on Sunday.", exact=False))
    assert not texts.verbatim(Quote(1, str(corpus["a"]), "The attack happened on Monday.", 0, 30))
    assert not texts.verbatim(Quote(1, str(corpus["a"].parent / "gone.txt"), "x", 0, 1))
    # Without offsets (the baseline's chunks), the quote must occur in the file as it is.
    assert texts.verbatim(Quote(1, str(corpus["a"]), "Officials said he was unharmed."))
    joined = "The attack happened on Sunday. Officials said he was unharmed."  # a line break in the file
    assert not texts.verbatim(Quote(1, str(corpus["a"]), joined))


def test_conflict_surfacing_needs_every_side_stated_and_cited(corpus: dict[str, Path]) -> None:
    seven = quote(corpus["a"], "Seven of the prime minister's guards were injured in the attack.", 1)
    several = quote(corpus["b"], "Several members of his protection team were injured.", 2)
    differ = 'The articles differ: "seven" [1] and "several" [2].'
    both = answer(differ, [Sentence(differ, [1, 2])], [seven, several])
    s = score(CONFLICT, both, lexical_support, ArticleTexts())
    assert s.conflict_surfaced is True and s.correct is True
    assert s.citation_recall == 1.0  # the "The articles differ:" lead is not part of the claim
    one_side = answer("..", [Sentence("Seven guards were injured.", [1])], [seven])
    assert score(CONFLICT, one_side, lexical_support, ArticleTexts()).conflict_surfaced is False
    uncited = answer("..", [Sentence("Seven or several guards were injured.", [1])], [seven])
    assert score(CONFLICT, uncited, lexical_support, ArticleTexts()).conflict_surfaced is False


def test_claim_of_drops_markers_and_attribution() -> None:
    assert claim_of('The articles differ: "seven" [1][2] and "a few" [3].') == '"seven" and "a few".'
    assert claim_of("According to Source 2, seven guards were hurt [2].") == "seven guards were hurt."
    assert claim_of("Seven guards were hurt [1].") == "Seven guards were hurt."


def test_source_recall_matches_file_names_against_paths() -> None:
    assert source_recall(["/data/seeds/a.txt", "/data/seeds/c.txt"], ["a.txt", "b.txt"]) == 0.5
    assert source_recall(["/x/ba.txt"], ["a.txt"]) == 0.0
    assert source_recall([], []) is None


def test_totals_latency_and_tokens() -> None:
    scores = [score(OFF_TOPIC, answer("The articles do not say.", [], [], abstained=True, latency=ms),
                    lexical_support, ArticleTexts()) for ms in (100, 200, 300, 400, 1000)]
    scores[0].tokens = 30
    summary = totals(scores)
    assert summary["latency_median_ms"] == 300 and summary["latency_p95_ms"] == 880.0
    assert summary["tokens_total"] == 30 and summary["abstention_accuracy"] == 1.0
    assert summary["answer_accuracy"] is None and summary["precision"] is None
    assert percentile([], 95) is None


def test_floors() -> None:
    failures, skipped = check_floors({"answer_accuracy": 0.5, "verbatim_rate": 1.0, "abstention_accuracy": None},
                                     {"answer_accuracy": 0.6, "verbatim_rate": 0.9, "abstention_accuracy": 0.5,
                                      "precision": None})
    assert failures == ["answer accuracy 0.500 < 0.6"]
    assert len(skipped) == 1 and "abstention" in skipped[0]


def test_run_eval_scores_every_system_and_survives_a_broken_question(corpus: dict[str, Path]) -> None:
    def ours(question: str) -> SystemAnswer:
        if "capital" in question:
            raise RuntimeError("boom")
        return answer("Seven guards.", [Sentence("Seven guards.", [])], [])

    seen: list[tuple[int, int, str]] = []
    result = run_eval([GUARDS, OFF_TOPIC], {"ours": ours}, lexical_support,
                      progress=lambda d, t, n: seen.append((d, t, n)))
    assert [s.right for s in result.scores["ours"]] == [True, False]
    assert result.scores["ours"][1].error == "RuntimeError: boom"
    assert seen[-1] == (2, 2, "")
    with pytest.raises(UserError):
        run_eval([GUARDS], {"ours": lambda q: (_ for _ in ()).throw(UserError("server down"))}, lexical_support)


def test_llm_judge_and_token_usage() -> None:
    calls: list[str] = []

    class FakeLLM:
        def complete(self, prompt: str) -> SimpleNamespace:
            calls.append(prompt)
            return SimpleNamespace(text="Yes." if "Seven" in prompt.split("Claim:")[1] else "no")

    judge = llm_judge(FakeLLM())
    assert judge("Seven guards were hurt.", ["quote"]) and not judge("Nine guards.", ["quote"])
    assert judge("Seven guards were hurt.", ["quote"]) and len(calls) == 2  # cached
    assert _usage(SimpleNamespace(additional_kwargs={"prompt_tokens": 10, "completion_tokens": 5})) == 15
    assert _usage(SimpleNamespace(additional_kwargs={}, raw={"usage": {"total_tokens": 7}})) == 7
    assert _usage(SimpleNamespace(additional_kwargs={}, raw=None)) is None


# Free-text answers (the baseline) --------------------------------------------------------------

def test_split_cited_sentences_and_abstention() -> None:
    sentences = split_cited_sentences("Seven guards were hurt [1][3]. It was Sunday. [2] He is fine [2, 4].")
    assert [(s.text, s.citations) for s in sentences] == [
        ("Seven guards were hurt.", [1, 3]), ("It was Sunday.", [2]), ("He is fine.", [2, 4])]
    assert looks_abstained("The sources do not mention the capital of Australia.")
    assert looks_abstained("")
    assert not looks_abstained("Seven guards were injured [1]. No information on the others.")


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


# Gold files ------------------------------------------------------------------------------------

GOOD = {"id": "q1", "question": "How many?", "answers": ["seven"], "sources": ["a.txt"], "kind": "answerable"}


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "q2", "question": "x"', "not valid JSON"),
    ('["q2"]', "expected a JSON object"),
    (json.dumps({**GOOD, "id": "q2", "kind": "maybe"}), "'kind' must be one of"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "answers"} | {"id": "q2"}), "missing 'answers'"),
    (json.dumps({**GOOD, "id": "q2", "answers": "seven"}), "'answers' must be a list"),
    (json.dumps({**GOOD, "id": "q2", "anwsers": []}), "unknown key 'anwsers'"),
    (json.dumps({**GOOD, "id": "q2", "answers": []}), "needs at least one answer"),
    (json.dumps({**GOOD, "id": "q2", "kind": "unanswerable"}), "must have no answers"),
    (json.dumps({**GOOD, "id": "q2", "kind": "conflict", "answers": ["seven", "7"]}), "at least two different"),
    (json.dumps({**GOOD, "question": " "}), "'question' must be a non-empty string"),
    (json.dumps(GOOD), "duplicate id 'q1' (first on line 1)"),
])
def test_malformed_gold_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + line + "\n", encoding="utf-8")
    with pytest.raises(UserError) as error:
        load_gold(path)
    text = str(error.value)
    assert text.startswith(f"{path}:3: ") and message in text and "\n" not in text


def test_gold_file_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such gold file"):
        load_gold(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(UserError, match="no questions"):
        load_gold(tmp_path / "empty.jsonl")


def test_select_by_ids_and_limit() -> None:
    items = [GUARDS, OFF_TOPIC, CONFLICT]
    assert [i.id for i in select(items, ["c1", "g1"])] == ["g1", "c1"]
    assert [i.id for i in select(items, None, 2)] == ["g1", "u1"]
    with pytest.raises(UserError, match="unknown question id nope"):
        select(items, ["nope"])


def test_project_gold_set_covers_the_seeds() -> None:
    items = load_gold(default_gold_path())
    kinds = [i.kind for i in items]
    assert len(items) >= 25 and kinds.count("unanswerable") >= 6 and kinds.count("conflict") >= 2
    guards = next(i for i in items if i.question == "How many guards were injured?")
    assert "seven" in guards.answers
    names = {p.name for p in SEEDS.iterdir()}
    for item in items:
        assert set(item.sources) <= names, item.id
        for answer_text in item.answers:  # every gold answer is said by one of its sources
            assert any(mentions((SEEDS / s).read_text(encoding="utf-8"), answer_text) for s in item.sources) \
                or answer_text in {"not injured", "not hurt", "not claimed", "nobody", "safe"}, (item.id, answer_text)


# Reports ---------------------------------------------------------------------------------------

def small_result(corpus: dict[str, Path]) -> EvalResult:
    text = "Seven of the prime minister's guards were injured in the attack."
    ours = {GUARDS.id: answer(text, [Sentence(text, [1])], [quote(corpus["a"], text)]),
            OFF_TOPIC.id: answer("The articles do not say.", [], [], abstained=True)}
    chunk = Quote(1, str(corpus["a"]), "The attack happened on Sunday. Officials said he was unharmed.")
    base = {GUARDS.id: SystemAnswer("baseline", "Guards <b>were</b> hurt [1].", False,
                                    [Sentence("Guards were hurt.", [1])], [chunk], [], 900.0),
            OFF_TOPIC.id: SystemAnswer("baseline", "Canberra.", False, [Sentence("Canberra.", [])], [], [], 800.0)}
    result = run_eval([GUARDS, OFF_TOPIC], {
        "ours": lambda q: ours[GUARDS.id if "guards" in q else OFF_TOPIC.id],
        "baseline": lambda q: base[GUARDS.id if "guards" in q else OFF_TOPIC.id],
    }, lexical_support, meta={"model": "fake", "top_k": 6})
    return result


def test_reports_contents(tmp_path: Path, corpus: dict[str, Path]) -> None:
    document = small_result(corpus).to_json()
    paths = write_reports(document, tmp_path / "out")
    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert set(data) == {"meta", "totals", "by_kind", "questions"}
    assert data["totals"]["ours"]["answer_accuracy"] == 1.0 and data["totals"]["baseline"]["answer_accuracy"] == 0.0
    assert data["totals"]["ours"]["verbatim_rate"] == 1.0 and data["totals"]["baseline"]["verbatim_rate"] == 0.0
    assert data["by_kind"]["ours"]["unanswerable"]["abstention_accuracy"] == 1.0
    assert data["questions"][0]["results"]["ours"]["quotes"][0]["verbatim"] is True

    md = paths[1].read_text(encoding="utf-8")
    assert "| answer accuracy | 1.00 | 0.00 |" in md and "| verbatim rate | 1.00 | 0.00 |" in md
    assert "| g1 | answerable |" in md and "## Misses: baseline" in md and "Canberra" in md

    page = paths[2].read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and "Metrics per system" in page and "per question kind" in page
    assert "&lt;b&gt;were&lt;/b&gt;" in page and "<b>were</b>" not in page  # answers are escaped
    assert "(not verbatim)" in page
    # Self-contained: no scripts, stylesheets or images fetched; the only URL is the SVG namespace.
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert set(re.findall(r"https?://[^\s\"']+", page)) == {"http://www.w3.org/2000/svg"}
    assert markdown(document) == md and html_page(document) == page
