"""`journeyops eval agent`: the offline agent passes every case, and the checks can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.chat.conversation import Turn
from agent.cli.app import app
from agent.config import DEFAULT_CONFIG, load_settings
from agent.context import build_context
from agent.llm.protocol import Usage
from agent.workspace import Workspace
from evals.agent_eval import AgentCase, _checks, cases_for, run_agent_eval
from evals.demo import GroundTruth


def test_a_sample_of_every_fifth_case_passes_offline(
    demo_base: Path, demo_truth: GroundTruth
) -> None:
    # The whole eval takes minutes (every turn scans afresh); `make bench` runs all of it.
    sample = cases_for(demo_truth)[::5]
    report = run_agent_eval(
        demo_base / "home", demo_truth, load_settings(DEFAULT_CONFIG), cases=sample
    )
    assert report.cases == len(sample) >= 12
    assert report.failed == [], [r for r in report.results if not r.passed]


@pytest.mark.slow
def test_eval_agent_json_offline(demo_base: Path, demo_truth: GroundTruth) -> None:
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "agent",
            "--home",
            str(demo_base / "home"),
            "--truth",
            str(demo_base / "data" / "ground_truth.json"),
            "--json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"cases", "passed", "failed"}
    assert report["cases"] == len(cases_for(demo_truth)) >= 30
    assert report["failed"] == [] and report["passed"] == report["cases"]
    # The evaluated workspace was a copy: nothing was filed in the shared one.
    assert not (demo_base / "home" / "checkpoints.sqlite").exists()


def test_checks_catch_wrong_segment_ungrounded_numbers_and_stray_proposals(
    tmp_path: Path, demo_base: Path
) -> None:
    ctx = build_context(load_settings(DEFAULT_CONFIG), Workspace.resolve(demo_base / "home"))

    class _Conv:
        def state(self) -> dict[str, object]:
            return {"messages": [{"role": "user", "content": "q"}], "turn_start": 0}

    case = AgentCase(
        name="x",
        turns=["why?"],
        expect_tools=["localize"],
        forbid_tools=["propose_action"],
        expect_text=["channel=app"],
        cite_one_of=["ins-1"],
    )
    turn = Turn(
        question="why?",
        answer="It fell 12.5% in channel=web.",
        grounded=True,
        tools_called=["detect_breakdowns", "propose_action"],
        proposed=["act-nope"],
        events=[],
        usage=Usage(),
    )
    failures = _checks(ctx, _Conv(), case, turn)  # type: ignore[arg-type]
    joined = "\n".join(failures)
    for expected in (
        "tool localize not called",
        "tool propose_action called",
        "answer lacks 'channel=app'",
        "cites none",
        "ungrounded",
        "unexpected proposal",
        "no localized cause or evidence",
    ):
        assert expected in joined, joined
