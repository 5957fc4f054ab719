"""`journeyops ask` and `journeyops chat` on the demo workspace, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
from evals.demo import GroundTruth
from tests.support.demo_workspace import copy_home
from tools.units import format_segment


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, demo_base: Path) -> Path:
    return copy_home(demo_base, tmp_path_factory.mktemp("cli-chat"))


def test_ask_json_then_follow_up_on_the_same_thread(home: Path, demo_truth: GroundTruth) -> None:
    inc = next(i for i in demo_truth.incidents if i.journey == "insurance_claim")
    runner = CliRunner()
    first = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "ask",
            "why did the insurance claim assessment get slower last week?",
            "--json",
            "--thread",
            "t1",
        ],
        catch_exceptions=False,
    )
    assert first.exit_code == 0, first.output
    turn = json.loads(first.output)
    assert format_segment(inc.segment) in turn["answer"] and turn["grounded"] is True
    assert {"question", "answer", "tools_called", "proposed", "events", "usage"} <= set(turn)
    follow = runner.invoke(
        app,
        ["--home", str(home), "ask", "what do customers say about it?", "--json", "--thread", "t1"],
    )
    assert "search_insights" in json.loads(follow.output)["tools_called"]


def test_interactive_chat_help_propose_and_quit(home: Path, demo_truth: GroundTruth) -> None:
    inc = next(
        i for i in demo_truth.incidents if i.journey == "checkout" and i.kind == "rate_change"
    )
    script = "\n".join(
        [
            "/help",
            f"why did {inc.journey} {inc.stage} conversion drop last week?",
            "/propose x",
            "/propose 1",
            "/quit",
        ]
    )
    result = CliRunner().invoke(
        app, ["--home", str(home), "chat", "--thread", "c1"], input=script + "\n"
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "/propose N" in out and "Usage: /propose N" in out
    assert format_segment(inc.segment) in out
    assert "for council approval (status: proposed)" in out
    assert "journeyops chat --thread c1" in out
    listed = CliRunner().invoke(
        app, ["--home", str(home), "actions", "list", "--status", "proposed"]
    )
    assert listed.exit_code == 0


def test_ask_slash_propose_on_a_thread_files_the_fix(home: Path) -> None:
    runner = CliRunner()
    base = ["--home", str(home), "ask"]
    asked = runner.invoke(
        app, [*base, "why did checkout payment conversion drop last week?", "--thread", "p1"]
    )
    assert asked.exit_code == 0 and "/propose N" in asked.output
    filed = runner.invoke(app, [*base, "/propose 1", "--thread", "p1"])
    assert filed.exit_code == 0, filed.output
    assert "for council approval" in filed.output and "offline" not in filed.output
    again = runner.invoke(app, [*base, "/propose 1", "--thread", "p1", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["answer"].startswith("Already filed")


def test_ask_slash_propose_without_a_thread_names_the_missing_option(home: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(home), "ask", "/propose 1"])
    assert result.exit_code == 2 and "--thread" in result.output
