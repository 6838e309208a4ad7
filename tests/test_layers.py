"""The layers of surveys/ import only downward (README, "Layout").

Every import counts, including one inside a function body, since a lazy import is still a dependency.
The checker is itself tested on a module written to break each rule, so this test can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import surveys

ROOT = Path(surveys.__file__).parent

#: layer -> the layers it must never import. A layer is a module or package under ``surveys``.
FORBIDDEN: dict[str, set[str]] = {
    "stats": {"models", "services", "selectors", "views", "api", "reports", "tasks"},
    "models": {"services", "selectors", "views", "api", "reports", "tasks", "forms"},
    "selectors": {"services", "views", "api", "tasks", "forms"},
    "services": {"views", "api", "tasks", "forms"},
    "reports": {"views", "api", "services", "selectors", "tasks"},
    "tasks": {"views", "api", "reports", "selectors", "forms"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)  # `from surveys import tasks`
    return names


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "surveys" else None


def violations(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """``module imports target`` for each import that reaches a layer above ``module``'s own."""
    own = layer_of(module)
    if own not in FORBIDDEN:
        return []
    found = []
    for target in sorted(imported_modules(source, module, is_package=is_package)):
        if layer_of(target) in FORBIDDEN[own]:
            found.append(f"{module} imports {target}")
        if own == "stats" and target.split(".")[0] in {"django", "rest_framework", "celery"}:
            found.append(f"{module} imports {target}")
    return found


def _sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def test_no_layer_imports_a_layer_above_it() -> None:
    found = [
        v
        for path in _sources()
        for v in violations(path.read_text(encoding="utf-8"), _module_name(path), is_package=path.name == "__init__.py")
    ]
    assert found == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("surveys.stats.summary", "import django.db\n", "surveys.stats.summary imports django.db"),
        ("surveys.models.study", "def f():\n    from surveys.services import rounds\n", "surveys.services"),
        ("surveys.selectors.expert", "from surveys.services.ballots import x\n", "surveys.services.ballots"),
        ("surveys.selectors.expert", "from ..services import ballots\n", "surveys.services"),
        ("surveys.services.rounds", "from surveys import tasks\n", "surveys.tasks"),
        ("surveys.services.rounds", "from surveys.views.expert import x\n", "surveys.views.expert"),
        ("surveys.reports.html", "from surveys.views import reports\n", "surveys.views"),
        ("surveys.tasks", "from surveys.api.views import x\n", "surveys.api.views"),
    ],
)
def test_the_checker_catches_each_kind_of_upward_import(module: str, source: str, expected: str) -> None:
    assert any(expected in v for v in violations(source, module)), violations(source, module)


def test_the_checker_allows_downward_imports() -> None:
    source = "from surveys.models import Round\nfrom surveys.selectors.feedback import x\nfrom .queue import y\n"
    assert violations(source, "surveys.services.rounds") == []


def test_no_module_grows_past_three_hundred_lines() -> None:
    long = {
        str(p.relative_to(ROOT.parent)): n for p in _sources() if (n := len(p.read_text("utf-8").splitlines())) > 300
    }
    assert long == {}
