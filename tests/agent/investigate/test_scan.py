"""End to end on the demo data: generate, load, ingest, scan, decide — through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
from agent.workspace import Workspace
from evals.demo import GroundTruth
from store.db import make_engine, session_factory, sqlite_url
from store.findings import ScanResult
from store.gate.actions import list_actions
from store.models import ActionRow
from store.states import AWAITING_COUNCIL
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


def _open_actions(home: Path) -> list[ActionRow]:
    engine = make_engine(sqlite_url(Workspace.resolve(home).store_path))
    try:
        with session_factory(engine)() as session:
            return [a for a in list_actions(session) if a.status in AWAITING_COUNCIL]
    finally:
        engine.dispose()


def test_at_most_one_open_proposal_per_planted_incident(
    demo: tuple[Path, GroundTruth, ScanResult],
) -> None:
    home, truth, _ = demo
    per_incident: dict[str, list[str]] = {i.id: [] for i in truth.incidents}
    for a in _open_actions(home):
        planted = [
            i.id
            for i in truth.incidents
            if a.journey_id == i.journey
            and (a.payload["stage"] == i.stage or a.payload["segment"] == i.segment)
        ]
        assert len(planted) == 1, (a.id, a.title, planted)
        per_incident[planted[0]].append(a.id)
    assert all(len(ids) == 1 for ids in per_incident.values()), per_incident


def test_scan_json_lists_incidents_beside_breakdowns(
    demo: tuple[Path, GroundTruth, ScanResult],
) -> None:
    _, truth, scan = demo
    raw = json.loads(scan.model_dump_json())
    keys = {"id", "kind", "journey", "stages", "metrics", "segment"}
    keys |= {"money_at_stake_per_week", "verdict", "breakdown_ids"}
    assert raw["incidents"] and all(keys <= set(i) for i in raw["incidents"])
    grouped = sorted(b for i in raw["incidents"] for b in i["breakdown_ids"])
    assert grouped == sorted(b["id"] for b in raw["breakdowns"])
    mix = next(i for i in scan.incidents if i.kind == "mix_shift")
    assert len(mix.stages) > 1 and mix.segment == {"channel": "phone"}
    assert len(scan.incidents) == len(truth.incidents)


def test_a_tracking_gap_is_a_data_incident_without_money(
    demo: tuple[Path, GroundTruth, ScanResult],
) -> None:
    _, _, scan = demo
    gap = next(i for i in scan.incidents if i.kind == "tracking_gap")
    assert gap.money_at_stake_per_week is None and gap.route_to == "data-platform"
    assert scan.incidents[-1].kind == "tracking_gap"
    assert all(r.expected_value_per_week == 0.0 for r in gap.recommendations)
    assert all(h.verdict for b in scan.breakdowns for h in b.hypotheses)


def test_fix_titles_match_the_breakdown_kind(demo: tuple[Path, GroundTruth, ScanResult]) -> None:
    _, _, scan = demo
    titles = [
        r.title for b in scan.breakdowns if b.metric != "conversion" for r in b.recommendations
    ]
    assert titles and not [t for t in titles if "convert" in t]


def test_weekly_review_of_the_demo_covers_the_newest_data_and_funds_no_data_fix(
    demo: tuple[Path, GroundTruth, ScanResult], tmp_path: Path
) -> None:
    home, truth, _ = demo
    _run(home, "report", "weekly", "--out", str(tmp_path))
    md = (tmp_path / "checkout.md").read_text(encoding="utf-8")
    assert f"week {truth.window_start} to {truth.as_of}" in md
    assert md.index("## Incidents") < md.index("## What broke")
    assert "data quality" in md and "Funding case: Repair the event tracking" not in md
    assert "payback 0.0 days" not in md


def test_a_dismissed_incident_is_suppressed_and_the_scan_says_why(
    demo: tuple[Path, GroundTruth, ScanResult],
) -> None:
    home, _, scan = demo
    mix = next(i for i in scan.incidents if i.kind == "mix_shift")
    args = ["incidents", "dismiss", mix.id, "--reason", "spring campaign"]
    anonymous = runner.invoke(app, ["--home", str(home), *args, "--as", "jun"], env={})
    assert anonymous.exit_code == 2, "a bare --as must not give feedback"
    vera = token_for(home, "vera")
    refused = runner.invoke(app, ["--home", str(home), *args], env=vera)
    assert refused.exit_code == 1 and "vera has no decision right" in refused.output
    jun = runner.invoke(app, ["--home", str(home), *args], env=token_for(home, "jun"))
    assert jun.exit_code == 0 and "expected by jun recorded" in jun.output
    again = ScanResult.model_validate_json(_run(home, "scan", "--json"))
    assert mix.id not in {i.id for i in again.incidents}
    [why] = again.suppressed
    assert (why.incident_id, why.feedback, why.by) == (mix.id, "expected", "jun")
    out = " ".join(_run(home, "scan").split())
    assert "(1 suppressed by council feedback)" in out and "spring campaign" in out
    assert "spring campaign" in " ".join(_run(home, "incidents", "list").split())
