"""The house rules a newcomer relies on: one-way imports, small modules, folders that explain.

The import contracts live in pyproject.toml ([tool.importlinter]); `make lint` runs them too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["agent", "tools", "prompts", "store", "evals"]
MAX_MODULE_LINES = 300
MAX_MODULES_PER_FOLDER = 12


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_import_contracts_are_kept() -> None:
    """A back-edge or a cycle anywhere fails here (and in `make lint`), naming the import."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _function_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Import | ast.ImportFrom):
                    found.append(stmt)
    return found


def _imported(stmt: ast.Import | ast.ImportFrom) -> str:
    if isinstance(stmt, ast.ImportFrom):
        return stmt.module or ""
    return stmt.names[0].name


def _groups(imports: list[ast.Import | ast.ImportFrom]) -> list[list[ast.Import | ast.ImportFrom]]:
    """Group late imports written one after the other (one comment may cover a group)."""
    groups: list[list[ast.Import | ast.ImportFrom]] = []
    for stmt in sorted(imports, key=lambda s: s.lineno):
        last = groups[-1][-1] if groups else None
        if last is not None and stmt.lineno <= (last.end_lineno or last.lineno) + 2:
            groups[-1].append(stmt)
        else:
            groups.append([stmt])
    return groups


def test_function_level_imports_are_for_start_up_time_only_and_say_so() -> None:
    """A late import must be commented; one of our own modules may be late only in the CLI."""
    problems = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        for group in _groups(_function_imports(ast.parse("\n".join(lines)))):
            for stmt in group:
                ours = _imported(stmt).split(".")[0] in PACKAGES
                if ours and not _rel(path).startswith("agent/cli/"):
                    problems.append(f"{_rel(path)}:{stmt.lineno}: late import of our own module")
            above = lines[group[0].lineno - 2].strip()
            if not above.startswith("#"):
                problems.append(f"{_rel(path)}:{group[0].lineno}: late import without a comment")
    assert problems == []


def test_modules_stay_small() -> None:
    long = [
        f"{_rel(p)}: {n} lines"
        for p in _modules()
        if "migrations" not in p.parts
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []


def test_folders_hold_few_modules() -> None:
    folders = {p.parent for p in _modules() if "migrations" not in p.parts}
    crowded = [
        f"{_rel(f)}: {n} modules"
        for f in sorted(folders)
        if (n := len([m for m in f.glob("*.py") if m.name != "__init__.py"]))
        > MAX_MODULES_PER_FOLDER
    ]
    assert crowded == []


@pytest.mark.parametrize(
    "init",
    [p for p in _modules() if p.name == "__init__.py" and "migrations" not in p.parts],
    ids=_rel,
)
def test_every_package_says_what_it_owns(init: Path) -> None:
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert doc and len(doc) > 40 and "TODO" not in doc


def test_tests_mirror_the_tree() -> None:
    """Every test module sits under tests/ at the path of a package it tests."""
    misplaced = []
    for test in sorted((ROOT / "tests").rglob("test_*.py")):
        folder = test.parent.relative_to(ROOT / "tests")
        if (
            folder.parts
            and folder.parts[0] not in ("e2e", "support")
            and not (ROOT / folder).is_dir()
        ):
            misplaced.append(_rel(test))
    assert misplaced == []
