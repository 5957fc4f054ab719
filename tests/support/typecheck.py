"""Type-check a snippet with the project's mypy settings, for tests of what mypy must refuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mypy_errors(source: str, tmp: Path) -> list[str]:
    """Return mypy's error lines for `source` (empty when it type-checks)."""
    snippet = tmp / "snippet.py"
    snippet.write_text(source, encoding="utf-8")
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run(
        [
            str(mypy),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp / "cache"),
            "--no-error-summary",
            str(snippet),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if ": error:" in line]
