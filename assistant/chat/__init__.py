"""`assistant chat`: the Textual app (`app`, `widgets`), saved conversations and follow-up rewriting."""

from assistant.chat.app import run_chat

__all__ = ["run_chat"]
