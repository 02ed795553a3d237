"""Saved chat conversations: SQLite under the data folder, migrated with `PRAGMA user_version`.

Each user turn stores the question as typed and the standalone question that was retrieved for;
each assistant turn stores the verified answer as `Answer.to_json()` so that a reopened conversation
shows the same citations, quotes and conflicts, and exports them to Markdown.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answer import Answer, AnswerSentence, Citation, Claim, Conflict

DEFAULT_TITLE = "New chat"
TITLE_LENGTH = 60

# Migration N (1-based) takes the database from user_version N-1 to N. Never edit a released step: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE conversations ADD COLUMN model TEXT;
    ALTER TABLE messages ADD COLUMN standalone TEXT;
    ALTER TABLE messages ADD COLUMN answer_json TEXT;
    ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT 'done';
    CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Conversation:
    """A saved conversation's header."""

    id: int
    title: str
    created_at: str
    updated_at: str
    model: str | None
    messages: int = 0


@dataclass(frozen=True)
class Message:
    """One turn: a user question or an assistant answer (`status` is done, cancelled or error)."""

    id: int
    conversation_id: int
    role: str
    content: str
    created_at: str
    standalone: str | None = None
    answer: dict[str, Any] | None = None
    status: str = "done"


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


def migrate(db: sqlite3.Connection) -> int:
    """Bring the schema up to `SCHEMA_VERSION`, one transaction per step; returns the version found."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise RuntimeError(f"the conversations database is newer (schema {found}) than this program ({SCHEMA_VERSION})")
    for version in range(found + 1, SCHEMA_VERSION + 1):
        statements = [s.strip() for s in MIGRATIONS[version - 1].split(";") if s.strip()]
        with db:  # commits the step, or rolls it back on error
            db.execute("BEGIN")
            for statement in statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version}")
    return found


class ConversationStore:
    """Conversations and their messages in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        migrate(self.db)

    @classmethod
    def in_home(cls, home: Path) -> ConversationStore:
        """The store at `<home>/conversations.sqlite3`."""
        return cls(home / "conversations.sqlite3")

    def close(self) -> None:
        self.db.close()

    # Conversations ---------------------------------------------------------------------------

    def create(self, title: str = DEFAULT_TITLE, model: str | None = None) -> Conversation:
        """A new, empty conversation."""
        now = _now()
        cursor = self.db.execute("INSERT INTO conversations (title, created_at, updated_at, model) VALUES (?, ?, ?, ?)",
                                 (title, now, now, model))
        return Conversation(int(cursor.lastrowid or 0), title, now, now, model)

    def all(self) -> list[Conversation]:
        """All conversations, most recently updated first."""
        rows = self.db.execute(
            "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
            "FROM conversations c ORDER BY c.updated_at DESC, c.id DESC"
        ).fetchall()
        return [self._conversation(r) for r in rows]

    def get(self, conversation_id: int) -> Conversation | None:
        row = self.db.execute(
            "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
            "FROM conversations c WHERE c.id = ?", (conversation_id,)
        ).fetchone()
        return self._conversation(row) if row else None

    def rename(self, conversation_id: int, title: str) -> None:
        title = " ".join(title.split()) or DEFAULT_TITLE
        self.db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))

    def delete(self, conversation_id: int) -> None:
        self.db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    @staticmethod
    def _conversation(row: sqlite3.Row) -> Conversation:
        return Conversation(int(row["id"]), str(row["title"]), str(row["created_at"]), str(row["updated_at"]),
                            row["model"], int(row["n"]))

    # Messages --------------------------------------------------------------------------------

    def add_message(self, conversation_id: int, role: str, content: str, *, standalone: str | None = None,
                    answer: dict[str, Any] | None = None, status: str = "done") -> Message:
        """Append a turn; the first question also names a conversation that still has the default title."""
        now = _now()
        cursor = self.db.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at, standalone, answer_json, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (conversation_id, role, content, now, standalone, json.dumps(answer) if answer is not None else None,
             status),
        )
        model = answer.get("model") if answer else None
        self.db.execute("UPDATE conversations SET updated_at = ?, model = COALESCE(?, model) WHERE id = ?",
                        (now, model, conversation_id))
        if role == "user":
            self.db.execute("UPDATE conversations SET title = ? WHERE id = ? AND title = ?",
                            (title_for(content), conversation_id, DEFAULT_TITLE))
        return Message(int(cursor.lastrowid or 0), conversation_id, role, content, now, standalone, answer, status)

    def messages(self, conversation_id: int) -> list[Message]:
        rows = self.db.execute("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id",
                               (conversation_id,)).fetchall()
        return [
            Message(int(r["id"]), int(r["conversation_id"]), str(r["role"]), str(r["content"]), str(r["created_at"]),
                    r["standalone"], json.loads(r["answer_json"]) if r["answer_json"] else None, str(r["status"]))
            for r in rows
        ]

    # Export ----------------------------------------------------------------------------------

    def export_markdown(self, conversation_id: int) -> str:
        """The conversation as Markdown: each answer followed by its numbered, verbatim quotes."""
        conversation = self.get(conversation_id)
        if conversation is None:
            raise KeyError(conversation_id)
        return conversation_markdown(conversation, self.messages(conversation_id))

    def export_to(self, conversation_id: int, folder: Path) -> Path:
        """Write the Markdown export to `folder` and return its path."""
        conversation = self.get(conversation_id)
        if conversation is None:
            raise KeyError(conversation_id)
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", conversation.title.lower()).strip("-")[:40] or "chat"
        path = folder / f"{conversation.id:04d}-{slug}.md"
        path.write_text(self.export_markdown(conversation_id), encoding="utf-8")
        return path


def title_for(question: str) -> str:
    """A conversation title from its first question."""
    text = " ".join(question.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def conversation_markdown(conversation: Conversation, messages: list[Message]) -> str:
    """Markdown for a conversation (see `ConversationStore.export_markdown`)."""
    lines = [f"# {conversation.title}", "", f"_Saved {conversation.updated_at}_", ""]
    for message in messages:
        if message.role == "user":
            lines += [f"**You:** {message.content}", ""]
            if message.standalone and message.standalone != message.content:
                lines += [f"_Searched as: {message.standalone}_", ""]
            continue
        answer = message.answer or {}
        model = answer.get("model") or "assistant"
        if message.status != "done":
            lines += [f"**Assistant ({model}):** _{message.status}_ {message.content}".rstrip(), ""]
            continue
        lines += [f"**Assistant ({model}):** {answer.get('answer', message.content)}", ""]
        for citation in answer.get("citations", []):
            lines.append(f"- [{citation['n']}] {citation['title']} — `{citation['source']}` "
                         f"({citation['start']}–{citation['end']}):")
            lines.append(f"  > {citation['quote']}")
        if answer.get("citations"):
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def answer_record(answer: Answer) -> dict[str, Any]:
    """An answer as a conversation keeps it: its `to_json()` form, each sentence with the answer's marks."""
    record = answer.to_json()
    for sentence, saved in zip(answer.sentences, record["sentences"], strict=True):
        if sentence.marks:
            saved["marks"] = [list(mark) for mark in sentence.marks]
    return record


def answer_from_json(data: dict[str, Any]) -> Answer:
    """Rebuild an `Answer` from its `to_json()` form (or `answer_record`'s)."""
    return Answer(
        question=str(data.get("question", "")),
        answer=str(data.get("answer", "")),
        abstained=bool(data.get("abstained", False)),
        sentences=[AnswerSentence(s["text"], list(s["citations"]), bool(s["supported"]),
                                  [(int(a), int(b)) for a, b in s.get("marks", [])])
                   for s in data.get("sentences", [])],
        citations=[Citation(int(c["n"]), c["source"], c["title"], c["quote"], int(c["start"]), int(c["end"]))
                   for c in data.get("citations", [])],
        conflicts=[Conflict(c["about"], [Claim(k["value"], list(k["citations"])) for k in c["claims"]])
                   for c in data.get("conflicts", [])],
        model=str(data.get("model", "")),
        timings_ms={k: float(v) for k, v in data.get("timings_ms", {}).items()},
        confidence=float(data.get("confidence", 1.0)),
    )
