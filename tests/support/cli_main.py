"""Run `journeyops` through `agent.cli.app.main`, the entry point users run, in process."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from agent.cli.app import main


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """Run the CLI with `args` as its command line; return the exit code and output."""
    saved = sys.argv
    sys.argv = ["journeyops", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    return Ran(code=code, out=captured.out, err=captured.err)
