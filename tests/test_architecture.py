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


# SQL is built and run only in store/: these names build statements, these calls run them.
_SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "func", "text"})
_SESSION_CALLS = frozenset({"execute", "scalar", "scalars", "get"})


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def sql_built_outside_store(source: str) -> list[int]:
    """Return the lines of `source` that build SQL or run it on a session."""
    tree = ast.parse(source)
    aliases = {
        a.asname or a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for a in node.names
        if a.name.split(".")[0] == "sqlalchemy"
    }
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            if any(a.name in _SQL_BUILDERS for a in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr in _SQL_BUILDERS:
            if _receiver(node.value) in aliases:
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called = node.func
            if called.attr in _SESSION_CALLS and "session" in _receiver(called.value).lower():
                lines.append(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select",
        "from sqlalchemy.sql import func",
        "import sqlalchemy as sa\nq = sa.text('SELECT 1')",
        "def f(session):\n    return session.execute(q)",
        "def f(self):\n    return self.session.get(Row, 1)",
        "def f(db_session):\n    return db_session.scalar(q)",
    ],
)
def test_the_sql_check_catches_every_way_of_building_or_running_sql(source: str) -> None:
    assert sql_built_outside_store(source) != []


def test_sql_is_built_and_run_only_in_store() -> None:
    """Outside store/, modules pass a Session to store functions and never build SQL."""
    found = [
        f"{_rel(path)}:{line}"
        for path in _modules()
        if path.relative_to(ROOT).parts[0] != "store"
        for line in sql_built_outside_store(path.read_text(encoding="utf-8"))
    ]
    assert found == []
