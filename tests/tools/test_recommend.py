"""Fix ranking: playbooks matched to the cause, ranked by money, ties to less effort."""

from __future__ import annotations

import datetime as dt

import pytest

from agent.config import Settings
from store.findings import Breakdown, Cause, Impact, Window
from tools.impact import severity, weekly_impact
from tools.recommend import rank_fixes, recovery_rate


def _breakdown(metric: str, kind: str | None, segment: dict[str, str] | None = None) -> Breakdown:
    causes = (
        [Cause(segment=segment or {"channel": "app"}, kind=kind, explained_share=0.8)]
        if kind
        else []
    )
    return Breakdown(
        id="bd-1",
        journey="checkout",
        stage="payment",
        metric=metric,
        window=Window(start=dt.date(2026, 3, 25), end=dt.date(2026, 3, 31)),
        baseline=0.8,
        current=0.7,
        p_value=1e-9,
        severity="high",
        impact=Impact(currency="USD", per_week=10_000.0),
        causes=causes,
    )


CASES = [
    ("conversion", "rate_change", {"channel": "app", "app_version": "5.2"}, "rollback_release"),
    ("conversion", "rate_change", {"channel": "app"}, "fix_payment_path"),
    ("conversion", "tracking_gap", {"device": "android"}, "fix_tracking"),
    ("conversion", "mix_shift", {"channel": "ivr"}, "review_acquisition_mix"),
    ("duration", "rate_change", {"region": "west"}, "staff_queue"),
    ("csat", "rate_change", {"channel": "chat"}, "first_contact_resolution"),
    ("conversion", None, None, "journey_review"),
]


@pytest.mark.parametrize(("metric", "kind", "segment", "top"), CASES)
def test_top_playbook_fits_the_cause(
    settings: Settings, metric: str, kind: str | None, segment: dict[str, str] | None, top: str
) -> None:
    recs = rank_fixes(_breakdown(metric, kind, segment), settings.playbooks)
    assert recs[0].playbook == top
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))
    values = [r.expected_value_per_week for r in recs]
    assert values == sorted(values, reverse=True)


def test_tracking_gap_never_recommends_changing_the_journey(settings: Settings) -> None:
    recs = rank_fixes(_breakdown("conversion", "tracking_gap"), settings.playbooks)
    assert [r.playbook for r in recs] == ["fix_tracking"]


def test_track_record_moves_a_playbook_down(settings: Settings) -> None:
    bd = _breakdown("conversion", "rate_change", {"channel": "app", "app_version": "5.2"})
    plain = rank_fixes(bd, settings.playbooks)
    doubted = rank_fixes(bd, settings.playbooks, track_record={"rollback_release": (0, 4)})
    assert plain[0].playbook == "rollback_release"
    assert doubted[0].playbook == "fix_payment_path"
    [rollback] = [r for r in doubted if r.playbook == "rollback_release"]
    assert rollback.confidence < plain[0].confidence


def test_a_playbook_without_history_is_neutral(settings: Settings) -> None:
    bd = _breakdown("conversion", "rate_change", {"channel": "app", "app_version": "5.2"})
    plain = rank_fixes(bd, settings.playbooks)
    assert rank_fixes(bd, settings.playbooks, track_record={}) == plain
    assert rank_fixes(bd, settings.playbooks, track_record={"rollback_release": (0, 0)}) == plain


@pytest.mark.parametrize(
    ("record", "expected"),
    [((0, 0), 0.6), ((4, 4), 0.8), ((0, 4), 0.3), ((40, 40), 0.964), ((0, 40), 0.055)],
)
def test_recovery_rate_moves_from_the_configured_rate_toward_the_record(
    settings: Settings, record: tuple[int, int], expected: float
) -> None:
    assert recovery_rate(settings.playbooks["fix_payment_path"], record) == pytest.approx(
        expected, abs=1e-3
    )


def test_weekly_impact_is_volume_times_change_times_unit_value(settings: Settings) -> None:
    metric = settings.metrics["conversion"]
    loss = weekly_impact(
        metric=metric, expected=0.8, current=0.7, den=14_000, window_days=7, unit_value=50.0
    )
    assert loss == pytest.approx(0.1 * 14_000 * 50.0)
    assert weekly_impact(metric=metric, expected=0.7, current=0.8, den=14_000, window_days=7) == 0.0
    assert severity(relative_change=-0.2, per_week=100.0) == "high"
    assert severity(relative_change=-0.01, per_week=100.0) == "low"
