from __future__ import annotations

import ast
from pathlib import Path

import surveys.stats

STATS_DIR = Path(surveys.stats.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_statistics_core_imports_only_pandas_numpy_scipy_scikit_learn_and_the_standard_library() -> None:
    allowed = {
        "numpy",
        "pandas",
        "scipy",
        "__future__",
        "collections",
        "dataclasses",
        "difflib",
        "fractions",
        "functools",
        "importlib",  # themes: the optional embeddings backend, imported only when installed
        "math",
        "operator",
        "re",
        "reprlib",
        "sklearn",  # themes: token counting (scikit-learn, a declared dependency)
        "types",
        "typing",
    }

    for path in sorted(STATS_DIR.glob("*.py")):
        roots = {name.split(".")[0] for name in _imported_modules(path)}
        assert roots <= allowed, f"{path.name} imports {sorted(roots - allowed)}"


def test_no_statistics_module_grows_past_about_three_hundred_lines() -> None:
    for path in STATS_DIR.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, path.name
