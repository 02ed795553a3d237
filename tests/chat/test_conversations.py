"""Saved conversations: schema migrations, save/reopen, rename, delete, Markdown export."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.answer import Answer, AnswerSentence, Citation, Claim, Conflict
from assistant.chat.conversations import (
    DEFAULT_TITLE,
    MIGRATIONS,
    SCHEMA_VERSION,
    ConversationStore,
    answer_from_json,
    answer_record,
    migrate,
)


def _answer() -> Answer:
    quote = "Seven of the prime minister's guards were injured."
    return Answer(
        "How many guards were injured?", "Seven guards were injured [1].", False,
        [AnswerSentence("Seven guards were injured.", [1], True)],
        [Citation(1, "/news/a.txt", "Drone attack", quote, 10, 10 + len(quote))],
        [Conflict("How many guards were injured?", [Claim("seven", [1]), Claim("several", [2])])],
        "smollm2", {"retrieve": 12.0},
    )


def test_fresh_database_is_at_the_latest_schema(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)


def test_version_1_database_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO conversations VALUES (1, 'Old chat', '2024-01-01 10:00:00', '2024-01-01 10:00:00')")
    db.execute("INSERT INTO messages VALUES (1, 1, 'user', 'Who condemned it?', '2024-01-01 10:00:00')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = ConversationStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    [conversation] = store.all()
    assert (conversation.title, conversation.messages, conversation.model) == ("Old chat", 1, None)
    [message] = store.messages(1)
    assert (message.content, message.status, message.standalone, message.answer) == ("Who condemned it?", "done",
                                                                                     None, None)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "new.sqlite3")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        migrate(db)


def test_save_reopen_rename_delete(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create()
    assert conversation.title == DEFAULT_TITLE
    store.add_message(conversation.id, "user", "How many guards were injured?")
    store.add_message(conversation.id, "assistant", "Seven guards were injured [1].", answer=_answer().to_json())
    store.add_message(conversation.id, "user", "and who condemned it?",
                      standalone="Who condemned it (guards injured)?")
    store.add_message(conversation.id, "assistant", "The US draft", status="cancelled")
    store.close()

    reopened = ConversationStore(tmp_path / "c.sqlite3")
    [saved] = reopened.all()
    assert (saved.title, saved.messages, saved.model) == ("How many guards were injured?", 4, "smollm2")
    messages = reopened.messages(saved.id)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2].standalone == "Who condemned it (guards injured)?"
    assert messages[3].status == "cancelled"
    answer = answer_from_json(messages[1].answer or {})
    assert answer.to_json() == {**_answer().to_json()}
    reopened.rename(saved.id, "  Drone   attack ")
    assert reopened.get(saved.id).title == "Drone attack"  # type: ignore[union-attr]
    reopened.delete(saved.id)
    assert reopened.all() == []
    assert reopened.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_a_reopened_answer_keeps_the_words_that_answer_marked(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create()
    answer = _answer()
    answer.sentences[0].marks = [(0, 5)]
    store.add_message(conversation.id, "assistant", answer.answer, answer=answer_record(answer))
    [message] = store.messages(conversation.id)
    reopened = answer_from_json(message.answer or {})
    assert reopened.sentences[0].marks == [(0, 5)] and reopened.to_json() == answer.to_json()
    assert "marks" not in answer.to_json()["sentences"][0]


def test_export_markdown_has_answers_and_quotes(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create()
    store.add_message(conversation.id, "user", "How many guards were injured?")
    store.add_message(conversation.id, "assistant", "Seven guards were injured [1].", answer=_answer().to_json())
    text = store.export_markdown(conversation.id)
    assert text.startswith("# How many guards were injured?\n")
    assert "**You:** How many guards were injured?" in text
    assert "**Assistant (smollm2):** Seven guards were injured [1]." in text
    assert "- [1] Drone attack — `/news/a.txt` (10–60):" in text
    assert "  > Seven of the prime minister's guards were injured." in text
    path = store.export_to(conversation.id, tmp_path / "exports")
    assert path.name == f"{conversation.id:04d}-how-many-guards-were-injured.md"
    assert path.read_text(encoding="utf-8") == text


def test_store_lives_in_the_data_folder(isolated_home: Path) -> None:
    from assistant.config import load_settings

    store = ConversationStore.in_home(load_settings().home)
    assert store.path == isolated_home / "conversations.sqlite3"
    assert store.path.exists()
