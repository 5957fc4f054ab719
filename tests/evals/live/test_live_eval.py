"""A tiny live eval: the report has its shape and a large planted break is caught fast."""

from __future__ import annotations

from evals.live.cost import run_cost
from evals.live.replay import Grid
from evals.live.report import LiveReport, run_live


def test_tiny_replay_detects_a_large_break_and_reports_every_figure() -> None:
    report = run_live(
        seed=3,
        days=1,
        break_days=1,
        batch_minutes=30,
        scan=False,
        grid=Grid(sizes=(0.6,), shares=(("app", 0.3),), volumes=(300.0,)),
    )
    assert isinstance(report, LiveReport)
    assert report.stage_days == 2 and report.cycles == 48
    assert report.watch.planted == 1 and report.watch.detected == 1
    [case] = report.cases
    assert case.watch_minutes is not None and case.watch_minutes <= 90
    assert case.watch_segment_ok
    assert report.watch.false_alarms == 0
    assert list(report.watch.by_group) == ["size=60% share=30% visits/h=300"]
    assert report.daily_scan.detected == 0 and report.cycle_seconds_median > 0


def test_cycle_cost_is_timed_at_each_stored_size() -> None:
    report = run_cost(sizes=(100_000, 300_000), cycles=2)
    assert all(p.events >= n for p, n in zip(report.points, (100_000, 300_000), strict=True))
    assert report.points[0].history_days < report.points[1].history_days
    assert all(p.cycle_s_median > 0 and p.baseline_s > 0 for p in report.points)
    assert "100,000,000 events" in report.extrapolation
