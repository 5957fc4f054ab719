"""Incidents: breakdowns sharing a cause group into one, with money honest for their kind."""

from __future__ import annotations

import datetime as dt

import pytest

from store.findings import Breakdown, Cause, CauseKind, Impact, Recommendation, Window
from tools.incidents import group_incidents, incident_key, price_breakdown

WEEK = Window(start=dt.date(2026, 3, 25), end=dt.date(2026, 3, 31))
LAST_WEEK = Window(start=dt.date(2026, 3, 18), end=dt.date(2026, 3, 24))


def _bd(
    stage: str,
    metric: str,
    kind: CauseKind | None,
    segment: dict[str, str] | None = None,
    *,
    loss: float = 1000.0,
    journey: str = "claims",
    window: Window = WEEK,
    moved: float | None = None,
    fixes: tuple[tuple[str, float], ...] = (),
) -> Breakdown:
    causes = (
        [
            Cause(
                segment=segment or {"region": "west"},
                kind=kind,
                explained_share=0.9,
                moved_share=moved,
            )
        ]
        if kind
        else []
    )
    return Breakdown(
        id=f"bd-{journey}-{stage}-{metric}-{window.start}",
        journey=journey,
        stage=stage,
        metric=metric,
        window=window,
        baseline=1.0,
        current=2.0,
        p_value=1e-9,
        severity="high",
        impact=Impact(currency="USD", per_week=loss),
        causes=causes,
        recommendations=[
            Recommendation(rank=i, title=p, playbook=p, expected_value_per_week=v, effort="M")
            for i, (p, v) in enumerate(fixes, start=1)
        ],
    )


GROUPING = [
    (
        "one segment moving two metrics of a stage is one incident",
        [_bd("assess", "duration", "rate_change"), _bd("assess", "cost", "rate_change")],
        [["assess"]],
    ),
    (
        "one mix shift seen at every stage is one incident",
        [
            _bd("verify", "conversion", "mix_shift", {"channel": "phone"}),
            _bd("request", "duration", "mix_shift", {"channel": "phone"}),
            _bd("set", "duration", "mix_shift", {"channel": "phone"}),
        ],
        [["verify", "request", "set"]],
    ),
    (
        "different segments are different incidents",
        [
            _bd("assess", "duration", "rate_change", {"region": "west"}),
            _bd("assess", "cost", "rate_change", {"region": "east"}),
        ],
        [["assess"], ["assess"]],
    ),
    (
        "a rate change and a tracking gap of one segment are different incidents",
        [_bd("assess", "duration", "rate_change"), _bd("assess", "cost", "tracking_gap")],
        [["assess"], ["assess"]],
    ),
    (
        "unlocalized breakdowns stay with their own stage",
        [_bd("a", "duration", None), _bd("b", "duration", None), _bd("a", "cost", None)],
        [["a"], ["b"]],
    ),
    (
        "other journeys and other windows are other incidents",
        [
            _bd("assess", "duration", "rate_change"),
            _bd("assess", "duration", "rate_change", journey="billing"),
            _bd("assess", "duration", "rate_change", window=LAST_WEEK),
        ],
        [["assess"], ["assess"], ["assess"]],
    ),
]


@pytest.mark.parametrize(("why", "breakdowns", "stages"), GROUPING, ids=[g[0] for g in GROUPING])
def test_breakdowns_that_share_a_cause_form_one_incident(
    why: str, breakdowns: list[Breakdown], stages: list[list[str]]
) -> None:
    incidents = group_incidents(breakdowns, data_owner="data-team")
    assert sorted(i.stages for i in incidents) == sorted(stages), why
    assert sorted(b for i in incidents for b in i.breakdown_ids) == sorted(b.id for b in breakdowns)
    for inc in incidents:
        assert all(incident_key(b) == inc.id for b in breakdowns if b.id in inc.breakdown_ids)


def test_incident_ids_are_stable_across_scans() -> None:
    first = group_incidents([_bd("assess", "duration", "rate_change")], data_owner="d")
    again = group_incidents(
        [_bd("assess", "cost", "rate_change"), _bd("assess", "duration", "rate_change")],
        data_owner="d",
    )
    assert first[0].id == again[0].id and first[0].id.startswith("inc-")


def test_a_stage_counts_once_at_its_largest_metric_and_stages_add_up() -> None:
    inc = group_incidents(
        [
            _bd("assess", "duration", "rate_change", loss=60_000.0),
            _bd("assess", "cost", "rate_change", loss=10_000.0),
            _bd("review", "duration", "rate_change", loss=5_000.0),
        ],
        data_owner="d",
    )[0]
    assert inc.money_at_stake_per_week == 65_000.0
    assert inc.metrics == ["duration", "cost"] and inc.stages == ["assess", "review"]


def test_a_tracking_gap_has_no_money_and_goes_to_the_data_owner() -> None:
    priced = price_breakdown(_bd("confirm", "conversion", "tracking_gap", loss=124_683.0))
    assert priced.impact.per_week == 0.0
    inc = group_incidents([priced], data_owner="data-team")[0]
    assert inc.money_at_stake_per_week is None
    assert inc.route_to == "data-team" and inc.kind == "tracking_gap"


def test_a_mix_shift_is_priced_on_the_traffic_that_moved_once_across_stages() -> None:
    stages = [
        price_breakdown(_bd(s, m, "mix_shift", {"channel": "phone"}, loss=loss, moved=0.5))
        for s, m, loss in [("verify", "conversion", 20_000.0), ("request", "duration", 80.0)]
    ]
    assert [b.impact.per_week for b in stages] == [10_000.0, 40.0]
    inc = group_incidents(stages, data_owner="d")[0]
    assert inc.money_at_stake_per_week == 10_000.0
    assert inc.route_to == "claims council"


def test_a_rate_change_keeps_its_measured_loss() -> None:
    assert price_breakdown(_bd("a", "duration", "rate_change", loss=7.0)).impact.per_week == 7.0


def test_each_fix_appears_once_per_incident_ranked_by_money() -> None:
    inc = group_incidents(
        [
            _bd("assess", "duration", "rate_change", fixes=(("staff", 30.0), ("review", 20.0))),
            _bd("assess", "cost", "rate_change", fixes=(("staff", 5.0), ("review", 3.0))),
        ],
        data_owner="d",
    )[0]
    assert [(r.rank, r.playbook, r.expected_value_per_week) for r in inc.recommendations] == [
        (1, "staff", 30.0),
        (2, "review", 20.0),
    ]


def test_incidents_lead_with_money_and_data_problems_come_last() -> None:
    incidents = group_incidents(
        [
            _bd("a", "conversion", "tracking_gap", {"device": "android"}, loss=0.0),
            _bd("b", "conversion", "rate_change", {"channel": "app"}, loss=10.0),
            _bd("c", "conversion", "rate_change", {"channel": "web"}, loss=50.0),
        ],
        data_owner="d",
    )
    assert [i.kind for i in incidents] == ["rate_change", "rate_change", "tracking_gap"]
    assert [i.stages for i in incidents][:2] == [["c"], ["b"]]
