"""`assistant eval`: gold sets, the harness that asks and scores (`harness`), LlamaIndex's baseline and reports.

Light at import: `assistant --help` registers `eval_command` from here.
"""

from assistant.evals.cli import eval_command
from assistant.evals.harness import GoldItem, load_gold

__all__ = ["GoldItem", "eval_command", "load_gold"]
