"""`assistant chat`: the Textual app (`app`; the main screen's areas in `widgets`, its dialogs in `screens`, its
slow work in `workers`, the store and models it reads through `backend`), saved conversations and follow-up
rewriting."""

from assistant.chat.app import run_chat
from assistant.chat.followup import Exchange, rewrite

__all__ = ["Exchange", "rewrite", "run_chat"]
