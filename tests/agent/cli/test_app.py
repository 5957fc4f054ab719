"""Every command's help text reaches the reader whole: no word lost to markup."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from agent.cli.app import app

_BRACKETED = re.compile(r"\[[A-Za-z_][\w .\-]*\]")


def _commands() -> list[tuple[list[str], Any]]:
    root = typer.main.get_command(app)
    found: list[tuple[list[str], Any]] = []

    def walk(path: list[str], cmd: Any) -> None:
        found.append((path, cmd))
        # Typer vendors its own click, so groups are recognised by what they hold.
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk([*path, name], sub)

    walk([], root)
    return found


def _written_help(cmd: Any) -> list[str]:
    texts = [cmd.help or ""]
    texts += [getattr(p, "help", None) or "" for p in cmd.params]
    return texts


COMMANDS = _commands()


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "root")
def test_help_shows_every_bracketed_word(path: list[str]) -> None:
    cmd = dict((tuple(p), c) for p, c in COMMANDS)[tuple(path)]
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    for text in _written_help(cmd):
        for word in _BRACKETED.findall(text):
            assert word in shown, f"{' '.join(path)} --help lost {word!r}"
    first = " ".join((cmd.help or "").split("\n\n")[0].split())
    assert first[:60] in shown


def test_schedule_help_names_its_config_table() -> None:
    result = CliRunner().invoke(app, ["schedule", "--help"], terminal_width=200)
    assert "[schedule]" in result.output


def test_there_are_many_commands_to_walk() -> None:
    assert len(COMMANDS) > 20
