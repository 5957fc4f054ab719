"""Data-quality checks find tracking gaps that remove rows, on funnels unlike the demo's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from agent.config import Settings
from agent.context import build_context
from agent.ingest import ingest_events
from agent.investigate.check_data_quality import check_data_quality
from agent.investigate.scan import run_scan
from agent.reports.markdown import render_markdown
from agent.workspace import Workspace
from evals.demo import GroundTruth
from tests.support.demo_workspace import copy_home
from tests.support.journey_events import Funnel, Gap, last_days, write_events

END = dt.date(2026, 3, 31)
LOANS = ["apply", "approve", "fund"]
CLAIMS = ["file", "assess", "pay", "close"]


@dataclass
class Case:
    name: str
    gaps: list[Gap] = field(default_factory=list)
    blanks: list[Gap] = field(default_factory=list)
    claims_end: dt.date = END
    sql: str = ""
    # (journey, segment, check names, days affected); nothing else may be found.
    expect: list[tuple[str, dict[str, str], list[str], tuple[dt.date, ...]]] = field(
        default_factory=list
    )


CASES = [
    Case("clean data", expect=[]),
    Case(
        "a segment's rows vanish at one stage; its customers still reach the next",
        gaps=[Gap("loans", "approve", "device", "android", last_days(END, 3))],
        expect=[
            ("loans", {"device": "android"}, ["funnel_break", "volume_drop"], last_days(END, 3))
        ],
    ),
    Case(
        "a region's rows vanish at the last stage of a longer funnel",
        gaps=[Gap("claims", "close", "region", "west", last_days(END, 2))],
        expect=[("claims", {"region": "west"}, ["volume_drop"], last_days(END, 2))],
    ),
    Case(
        "a whole source goes quiet",
        claims_end=END - dt.timedelta(days=2),
        expect=[("claims", {}, ["source_quiet"], last_days(END, 2))],
    ),
    Case(
        "a measure stops arriving for one segment",
        blanks=[Gap("claims", "pay", "device", "ios", last_days(END, 4))],
        expect=[("claims", {"device": "ios"}, ["measure_missing"], last_days(END, 4))],
    ),
    Case(
        "impossible and future rows loaded by another pipeline",
        sql=(
            "INSERT INTO events (ts, day, journey, stage, customer_id, completed, duration_s) "
            "VALUES ('2026-03-30 10:00', '2026-03-30', 'loans', 'fund', 'x', 1, -40), "
            "('2035-03-30 10:00', '2035-03-30', 'loans', 'fund', 'y', 1, 30)"
        ),
        expect=[("loans", {}, ["impossible"], (dt.date(2026, 3, 30), dt.date(2035, 3, 30)))],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tracking_gaps_are_found_with_their_segment_and_days(
    case: Case, settings: Settings, tmp_path: Path
) -> None:
    loans = Funnel("loans", LOANS, [0.7, 0.6, 0.9], gaps=case.gaps, blanks=case.blanks)
    claims = Funnel(
        "claims", CLAIMS, [0.9, 0.8, 0.95, 0.5], per_day=150, gaps=case.gaps, blanks=case.blanks
    )
    files = [
        write_events(tmp_path / "loans.csv", [loans], end=END),
        write_events(tmp_path / "claims.csv", [claims], end=case.claims_end, days=33, seed=3),
    ]
    ctx = build_context(settings, Workspace.resolve(tmp_path / "home"), with_insights=False)
    try:
        for file in files:
            ingest_events(ctx, file)
        if case.sql:
            ctx.warehouse.close()
            con = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"))
            con.execute(case.sql)
            con.close()
        result = run_scan(ctx, as_of=END, propose=False).result
    finally:
        ctx.warehouse.close()
    found = [(i.journey, i.segment, i.metrics, tuple(i.days_affected)) for i in result.incidents]
    assert found == case.expect
    for incident in result.incidents:
        assert incident.kind == "tracking_gap" and incident.money_at_stake_per_week is None
        assert incident.summary in result.notices


def test_no_tracking_gap_is_reported_on_the_demo_except_the_planted_ones(
    demo_base: Path, demo_truth: GroundTruth, settings: Settings, tmp_path: Path
) -> None:
    home = copy_home(demo_base, tmp_path)
    ctx = build_context(settings, Workspace.resolve(home), with_insights=False)
    try:
        span = ctx.warehouse.date_range()
        assert span is not None
        found = check_data_quality(ctx, as_of=span[1])
    finally:
        ctx.warehouse.close()
    planted = {
        (i.journey, tuple(sorted(i.segment.items())))
        for i in demo_truth.incidents
        if i.kind == "tracking_gap"
    }
    assert {(i.journey, tuple(sorted(i.segment.items()))) for i in found} <= planted


def test_a_scan_with_a_tracking_gap_is_never_reported_as_an_all_clear(
    settings: Settings, tmp_path: Path
) -> None:
    gap = Gap("loans", "approve", "device", "android", last_days(END, 3))
    events = write_events(
        tmp_path / "loans.csv", [Funnel("loans", LOANS, [0.7, 0.6, 0.9], gaps=[gap])], end=END
    )
    ctx = build_context(settings, Workspace.resolve(tmp_path / "home"), with_insights=False)
    try:
        ingest_events(ctx, events)
        result = run_scan(ctx, as_of=END, propose=False).result
    finally:
        ctx.warehouse.close()
    assert result.breakdowns == []
    report = render_markdown(result, settings.metrics, [])
    assert "No breakdown: every journey stage is within its normal range" not in report
    assert "1 tracking gap(s) in the data" in report
    assert "Tracking gap in loans" in report and "android" in report
