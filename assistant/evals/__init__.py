"""`assistant eval`: gold sets (`gold`), answers and their matching (`answers`), the metrics (`scoring`), running
systems over a gold set (`harness`), LlamaIndex's baseline, reports, and RealTime QA weeks as eval sets
(`realtimeqa_data` reads a clone, `realtimeqa` converts a week, `realtimeqa_run` runs them).

Light at import: `assistant --help` registers `eval_command` from here.
"""

from assistant.evals.cli import eval_command
from assistant.evals.gold import GoldItem, load_gold

__all__ = ["GoldItem", "eval_command", "load_gold"]
