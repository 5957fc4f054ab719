"""Every top-level package imports, and only the LLM adapter may import openai."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

PACKAGES = ["agent", "tools", "prompts", "store", "evals"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", PACKAGES)
def test_package_imports(name: str) -> None:
    assert importlib.import_module(name).__doc__


def test_only_the_llm_adapter_imports_openai() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if p.relative_to(ROOT).as_posix() != "agent/llm/openai_compat.py"
        and any(
            line.strip().startswith(("import openai", "from openai"))
            for line in p.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
