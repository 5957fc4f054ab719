"""End to end on the demo data: generate, load, ingest, scan, decide — through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
from evals.demo import GroundTruth
from store.findings import ScanResult
from tests.support.demo_workspace import copy_home, token_for

runner = CliRunner()


def _run(home: Path, *args: str) -> str:
    result = runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, demo_base: Path, demo_truth: GroundTruth
) -> tuple[Path, GroundTruth, ScanResult]:
    home = copy_home(demo_base, tmp_path_factory.mktemp("scan-e2e"))
    out = _run(home, "scan", "--json")
    return home, demo_truth, ScanResult.model_validate_json(out)


def test_scan_finds_every_planted_incident_with_its_segment_as_top_cause(
    demo: tuple[Path, GroundTruth, ScanResult],
) -> None:
    _, truth, scan = demo
    for inc in truth.incidents:
        matches = [
            b
            for b in scan.breakdowns
            if (b.journey, b.stage, b.metric) == (inc.journey, inc.stage, inc.metric)
        ]
        assert matches, f"{inc.id} ({inc.journey}/{inc.stage}/{inc.metric}) not detected"
        bd = matches[0]
        assert bd.causes, f"{inc.id}: no cause localized"
        assert bd.causes[0].segment == inc.segment, f"{inc.id}: {bd.causes[0]}"
        assert bd.causes[0].kind == inc.kind, f"{inc.id}: {bd.causes[0].kind}"
        assert bd.recommendations and bd.recommendations[0].action_id


def test_clean_journeys_report_no_breakdown(demo: tuple[Path, GroundTruth, ScanResult]) -> None:
    _, truth, scan = demo
    assert truth.clean_journeys
    assert [b for b in scan.breakdowns if b.journey in truth.clean_journeys] == []


def test_hypotheses_cite_existing_planted_evidence(
    demo: tuple[Path, GroundTruth, ScanResult],
) -> None:
    _, truth, scan = demo
    rate_changes = [
        i for i in truth.incidents if i.kind == "rate_change" and i.evidence_insight_ids
    ]
    for inc in rate_changes:
        [bd] = [
            b
            for b in scan.breakdowns
            if (b.journey, b.stage, b.metric) == (inc.journey, inc.stage, inc.metric)
        ]
        cited = set(bd.hypotheses[0].evidence.insight_ids)
        assert cited & set(inc.evidence_insight_ids), f"{inc.id}: cites {cited}"


def test_scan_json_follows_the_contract(demo: tuple[Path, GroundTruth, ScanResult]) -> None:
    home, _, scan = demo
    raw = json.loads(scan.model_dump_json())
    keys = {
        "id",
        "journey",
        "stage",
        "metric",
        "window",
        "baseline",
        "current",
        "p_value",
        "severity",
        "impact",
        "causes",
        "hypotheses",
        "recommendations",
    }
    for bd in raw["breakdowns"]:
        assert keys <= set(bd)
        assert set(bd["impact"]) == {"currency", "per_week"}
        assert bd["id"].startswith("bd-")
    assert list(home.glob("reports/scan-*.md"))


def test_rescanning_the_same_window_files_nothing_new(
    demo: tuple[Path, GroundTruth, ScanResult],
) -> None:
    home, _, _ = demo
    before = _run(home, "actions", "list")
    out = _run(home, "scan")
    assert " 0 new proposals" in out
    assert _run(home, "actions", "list") == before


def test_council_decisions_through_the_cli(demo: tuple[Path, GroundTruth, ScanResult]) -> None:
    home, _, scan = demo
    bd = next(b for b in scan.breakdowns if b.journey == "checkout")
    action = bd.recommendations[0].action_id
    assert action is not None
    mallory = token_for(home, "mallory")
    refused = runner.invoke(
        app, ["--home", str(home), "actions", "approve", action, "--reason", "ok"], env=mallory
    )
    assert refused.exit_code == 1 and "not a member" in refused.output.lower()
    agent = token_for(home, "journeyops-agent")
    refused = runner.invoke(
        app, ["--home", str(home), "actions", "approve", action, "--reason", "ok"], env=agent
    )
    assert refused.exit_code == 1
    shown = _run(home, "actions", "show", action)
    assert "proposed" in shown
