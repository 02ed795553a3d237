"""The package's layout rules: small modules, and each subpackage reached by the others only through its
`__init__` (its public surface), so that a module can be split or renamed without breaking its neighbours."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
MAX_LINES = 420  # "about 400"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_the_subpackages_tell_the_pipeline() -> None:
    assert {"corpus", "answer", "runtime", "chat", "evals"} <= set(SUBPACKAGES)


def test_no_module_is_over_about_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_other_subpackages_are_reached_through_their_public_surface() -> None:
    """`from assistant.corpus import open_store`, never `from assistant.corpus.store import ...`, outside corpus."""
    offending = []
    for path in _modules():
        own = path.relative_to(PACKAGE).parts[0] if len(path.relative_to(PACKAGE).parts) > 1 else None
        for line, module in _imported(ast.parse(path.read_text(), str(path))):
            parts = module.split(".")
            if len(parts) >= 3 and parts[0] == "assistant" and parts[1] in SUBPACKAGES and parts[1] != own:
                offending.append(f"{path.relative_to(PACKAGE)}:{line}: {module}")
    assert not offending, offending


def test_every_public_name_of_a_subpackage_exists() -> None:
    import importlib

    for name in SUBPACKAGES:
        package = importlib.import_module(f"assistant.{name}")
        missing = [n for n in getattr(package, "__all__", []) if not hasattr(package, n)]
        assert not missing, (name, missing)
