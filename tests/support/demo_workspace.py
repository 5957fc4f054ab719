"""One demo workspace per test run, built once and shared by xdist workers, copied per use.

Building it (generate at scale 0.5, load journeys, ingest events, embed insights) takes
most of a minute, so it is built under a file lock in the run's shared temp folder; tests
that write to a workspace get their own copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from filelock import FileLock
from typer.testing import CliRunner

from agent.cli.app import app
from evals.demo import GroundTruth, generate

SEED, SCALE = 11, 0.5


def run_cli(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run the CLI on a workspace; fail the test with the output on a non-zero exit."""
    result = CliRunner().invoke(app, ["--home", str(home), *args], catch_exceptions=False, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def token_for(home: Path, user: str, role: str = "council_member") -> dict[str, str]:
    """Add `user` to the workspace and return the environment that carries their token."""
    run_cli(home, "users", "add", user, "--role", role)
    token = run_cli(home, "tokens", "create", user).strip().splitlines()[-1].strip()
    return {"JOURNEYOPS_TOKEN": token}


def _build(root: Path) -> None:
    home, data = root / "home", root / "data"
    manifest = generate(data, seed=SEED, scale=SCALE)
    run_cli(home, "journeys", "load", str(manifest.journeys_file))
    run_cli(home, "ingest", "events", str(manifest.events_file))
    run_cli(home, "ingest", "insights", str(manifest.insights_file))
    (root / "ready").write_text("ok", encoding="utf-8")


@pytest.fixture(scope="session")
def demo_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared, never-written demo workspace root (home/ and data/)."""
    shared = tmp_path_factory.getbasetemp().parent / "journeyops-demo"
    shared.mkdir(exist_ok=True)
    with FileLock(str(shared) + ".lock"):
        if not (shared / "ready").exists():
            _build(shared)
    return shared


@pytest.fixture(scope="session")
def demo_truth(demo_base: Path) -> GroundTruth:
    """The planted incidents of the demo workspace."""
    return GroundTruth.model_validate_json(
        (demo_base / "data" / "ground_truth.json").read_text(encoding="utf-8")
    )


def copy_home(demo_base: Path, dest: Path) -> Path:
    """Copy the demo workspace to `dest` and return the copy's home folder."""
    home = dest / "home"
    shutil.copytree(demo_base / "home", home)
    return home
