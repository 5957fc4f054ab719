"""The deployment files under deploy/ parse, and every journeyops command they run exists."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from agent.cli.app import app

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def _check_command(args: list[str]) -> None:
    """Walk the CLI with `args`; fail on an unknown command or option."""
    # typer may carry its own copy of click, so groups are told apart by their commands.
    command: Any = typer.main.get_command(app)
    for arg in args:
        if arg.startswith("-"):
            name = arg.split("=", 1)[0]
            known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
            assert name in known, f"journeyops {' '.join(args)}: no option {name}"
        elif hasattr(command, "commands") and arg in command.commands:
            command = command.commands[arg]
        else:
            assert not hasattr(command, "commands"), f"journeyops {args}: no command {arg!r}"
    assert not hasattr(command, "commands"), f"journeyops {args}: names a group only"


def _systemd_commands() -> list[list[str]]:
    found = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit)
        assert parser.has_section("Service"), unit.name
        argv = shlex.split(parser["Service"]["ExecStart"])
        if Path(argv[0]).name == "journeyops":
            found.append(argv[1:])
        else:
            assert (DEPLOY / Path(argv[0]).name).is_file(), f"{unit.name}: {argv[0]}"
    return found


def _compose_commands() -> list[list[str]]:
    doc = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text(encoding="utf-8"))
    return [
        [str(a) for a in svc["command"]]
        for svc in doc["services"].values()
        if svc.get("image", "").startswith("journeyops")
    ]


def _pod_specs(doc: dict[str, object]) -> list[dict[str, object]]:
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return []
    if doc["kind"] == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
        return [spec["template"]["spec"]]
    return []


def _kubernetes_commands() -> list[list[str]]:
    found = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert {"apiVersion", "kind", "metadata"} <= set(doc), path.name
            for pod in _pod_specs(doc):
                for container in pod["containers"]:  # type: ignore[attr-defined]
                    if str(container["image"]).startswith("journeyops"):
                        found.append([str(a) for a in container["args"]])
    return found


def test_every_process_the_deploy_files_run_is_a_journeyops_command() -> None:
    runs = {
        "systemd": _systemd_commands(),
        "compose": _compose_commands(),
        "kubernetes": _kubernetes_commands(),
    }
    for kind, commands in runs.items():
        assert {c[0] for c in commands} >= {"serve", "schedule", "dispatch"}, kind
        for args in commands:
            _check_command(args)


@pytest.mark.parametrize(
    "args",
    [["serve", "--wokers", "2"], ["dispatch", "--forever"], ["schedul"], ["users"]],
)
def test_the_check_refuses_commands_the_cli_does_not_have(args: list[str]) -> None:
    with pytest.raises(AssertionError):
        _check_command(args)


def test_the_backup_script_backs_up_the_three_stores() -> None:
    script = (DEPLOY / "backup.sh").read_text(encoding="utf-8")
    assert "sqlite3" in script and ".backup" in script
    assert "EXPORT DATABASE" in script
    assert "chroma" in script and "flock" in script
