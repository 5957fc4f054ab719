"""While another process writes the warehouse, commands that need no warehouse just run, and
one that needs it gives up with one line naming the writer (real processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agent.config import DEFAULT_CONFIG
from tests.support.warehouse_holder import held


def _journeyops(home: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli.app",
            "--home",
            str(home),
            "--config",
            str(config),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


def test_commands_run_or_fail_in_one_line_while_an_ingest_holds_the_warehouse(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    config = tmp_path / "config.toml"
    raw = DEFAULT_CONFIG.read_text(encoding="utf-8")
    config.write_text(raw.replace("[warehouse]\n", "[warehouse]\nlock_wait_s = 0.5\n", 1))
    assert _journeyops(home, config, "users", "add", "ann").returncode == 0

    with held(home / "warehouse.duckdb", "write", "ingest") as writer:
        listed = _journeyops(home, config, "users", "list")
        scanned = _journeyops(home, config, "scan", "--json")

    assert listed.returncode == 0 and "ann" in listed.stdout, listed.stderr
    assert scanned.returncode == 2
    assert "Traceback" not in scanned.stderr
    lines = [line for line in scanned.stderr.splitlines() if line.strip()]
    assert (
        lines.count(f"waiting for the warehouse: ingest by PID {writer.pid} holds warehouse.duckdb")
        == 1
    )
    assert lines[-1].startswith("error: warehouse ")
    held_by = f"held by ingest by PID {writer.pid}; gave up after 0.5 s"
    assert lines[-1].endswith(f"{held_by} (retry, or raise [warehouse] lock_wait_s)")
