"""No import cycle between the tasks and the services: the services send tasks by name
(``surveys.services.queue``) and never import ``surveys.tasks``; the tasks import services and models,
never a view, the API or the reports. Every import counts, a lazy one inside a function too."""

from __future__ import annotations

import ast
from pathlib import Path

import surveys

ROOT = Path(surveys.__file__).parent


def imports_of(source: str, package: str) -> set[str]:
    """Every module ``source`` (a module of ``package``) imports, and ``module.name`` for each
    ``from module import name``; relative imports are resolved."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def imports_of_file(path: Path) -> set[str]:
    package = ".".join(path.relative_to(ROOT.parent).parent.parts)
    return imports_of(path.read_text(encoding="utf-8"), package)


def reaching(names: set[str], module: str) -> set[str]:
    return {n for n in names if n == module or n.startswith(f"{module}.")}


def test_no_service_imports_the_tasks() -> None:
    found = {
        str(path.relative_to(ROOT.parent)): sorted(reaching(imports_of_file(path), "surveys.tasks"))
        for path in sorted((ROOT / "services").rglob("*.py"))
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_the_tasks_import_no_view_api_or_report() -> None:
    names = imports_of_file(ROOT / "tasks.py")
    above = {n for layer in ("views", "api", "reports") for n in reaching(names, f"surveys.{layer}")}
    assert above == set()
    assert reaching(names, "surveys.services"), "the tasks call the services"


def test_the_scan_sees_lazy_and_relative_imports() -> None:
    lazy = "def f():\n    from surveys import tasks\n"
    relative = "from ..tasks import send_reminders\n"
    relative_package = "from .. import tasks\n"
    for source in (lazy, relative, relative_package):
        assert "surveys.tasks" in reaching(imports_of(source, "surveys.services"), "surveys.tasks"), source
    assert reaching(imports_of("from .queue import enqueue\n", "surveys.services"), "surveys.tasks") == set()
    assert reaching(imports_of("from surveys.views.expert import x\n", "surveys"), "surveys.views")
