"""The answer's confidence: computed from the answer's features, and the threshold below which it is withheld."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answer import ABSTAIN_TEXT, Engine
from assistant.answer.confidence import Features, confidence
from assistant.config import Settings
from tests.answer.test_engine import ScriptedLLM

WEAK = Features(lexical=0.3, cosine=0.3, typed=1.0, articles=0.0, drafted=0.0, conflict=0.0, spans=0.2, near=0.0)


def test_confidence_rises_with_the_evidence() -> None:
    strong = replace(WEAK, lexical=1.0, cosine=0.9, articles=1.0, spans=1.0, near=1.0)
    assert 0.0 < confidence(WEAK) < confidence(strong) < 1.0
    assert confidence(WEAK) < confidence(replace(WEAK, articles=1.0))  # more articles say it


def test_the_default_threshold_is_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().min_confidence == 0.3  # docs/confidence.md says how it was chosen
    monkeypatch.setenv("ASSISTANT_MIN_CONFIDENCE", "0.8")
    assert Settings().min_confidence == 0.8


@pytest.mark.slow
def test_an_answer_below_the_threshold_is_withheld(seeded_session) -> None:  # type: ignore[no-untyped-def]
    def engine(threshold: float) -> Engine:
        return Engine(seeded_session.retriever, ScriptedLLM("Seven guards were injured [1]."),
                      seeded_session.embed_model, "scripted", 10, min_confidence=threshold)

    given = engine(0.0).ask("How many guards were injured?")
    assert not given.abstained and 0.0 < given.confidence < 1.0 and set(given.features) >= {"lexical", "near"}
    withheld = engine(min(1.0, given.confidence + 0.01)).ask("How many guards were injured?")
    assert withheld.abstained and withheld.answer == ABSTAIN_TEXT and not withheld.citations
    assert withheld.confidence == round(1 - given.confidence, 4)
    assert withheld.to_json()["confidence"] == withheld.confidence
