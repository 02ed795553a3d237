"""The marker parser and the draft's sentence splitter."""

from __future__ import annotations

from assistant.answer.markers import parse_markers, split_draft


def test_parse_markers_in_common_shapes() -> None:
    assert parse_markers("Seven guards were injured [1][3].") == ("Seven guards were injured.", [1, 3])
    assert parse_markers("Seven guards were injured [1, 2].") == ("Seven guards were injured.", [1, 2])
    assert parse_markers("It happened on Sunday (Source 2).") == ("It happened on Sunday.", [2])
    assert parse_markers("No markers here.") == ("No markers here.", [])
    assert split_draft("Answer: Seven were hurt. [1] Price condemned it [4].") == [
        "Seven were hurt [1].",
        "Price condemned it [4].",
    ]
