"""The metrics on hand-built answers (no model, no store)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from assistant.evals.answers import Quote, Sentence
from assistant.evals.scoring import (
    ArticleTexts,
    alce_citations,
    check_floors,
    claim_of,
    llm_judge,
    percentile,
    score,
    totals,
    verifier_support,
)
from tests.evals.samples import CONFLICT, GUARDS, OFF_TOPIC, answer, lexical_support, quote


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


def test_llm_judge_and_token_usage() -> None:
    calls: list[str] = []

    class FakeLLM:
        def complete(self, prompt: str) -> SimpleNamespace:
            calls.append(prompt)
            return SimpleNamespace(text="Yes." if "Seven" in prompt.split("Claim:")[1] else "no")

    judge = llm_judge(FakeLLM())
    assert judge("Seven guards were hurt.", ["quote"]) and not judge("Nine guards.", ["quote"])
    assert judge("Seven guards were hurt.", ["quote"]) and len(calls) == 2  # cached
