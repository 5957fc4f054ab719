"""Cause analysis on warehouse-shaped leaves: rate change, several causes, mix, gaps, none."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from store.catalog import MetricDef
from tools.causes import analyse_causes

CONVERSION = MetricDef(
    name="conversion",
    label="Conversion",
    numerator="completed",
    denominator="visits",  # type: ignore[arg-type]
    direction="higher",
    unit="rate",
    unit_value=50.0,
)
DIMS = ["channel", "device", "region", "plan"]
VALUES = {
    "channel": ["web", "app", "phone"],
    "device": ["ios", "android", "desktop", "tablet", "tv", "other"],
    "region": ["north", "south", "east", "west", "central"],
    "plan": ["basic", "plus", "premium"],
}


def _cells(
    *,
    rate_drop: dict[tuple[tuple[str, str], ...], float] | None = None,
    boost: tuple[str, str] | None = None,
    gap: tuple[str, str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Baseline (4 weeks) and current (1 week) leaves; rates differ by channel."""
    rng = np.random.default_rng(seed)
    base_rate = {"web": 0.8, "app": 0.75, "phone": 0.5}
    rows = []
    for combo in itertools.product(*(VALUES[d] for d in DIMS)):
        leaf = dict(zip(DIMS, combo, strict=True))
        for period, weeks in (("baseline", 4), ("current", 1)):
            visits = 100 * weeks
            if period == "current" and boost and leaf[boost[0]] == boost[1]:
                visits *= 6
            rate = base_rate[leaf["channel"]]
            missing = 0
            if period == "current":
                for seg, drop in (rate_drop or {}).items():
                    if all(leaf[k] == v for k, v in seg):
                        rate -= drop
                if gap and leaf[gap[0]] == gap[1]:
                    rate, missing = 0.0, visits
            num = rng.binomial(visits, max(rate, 0.0))
            rows.append(
                {
                    "period": period,
                    **leaf,
                    "visits": visits,
                    "num": num,
                    "den": visits,
                    "missing": missing,
                }
            )
    return pd.DataFrame(rows)


CASES = [
    (
        "single two-attribute cause",
        {"rate_drop": {(("channel", "app"), ("device", "android")): 0.35}},
        [({"channel": "app", "device": "android"}, "rate_change")],
    ),
    (
        "single one-attribute cause",
        {"rate_drop": {(("region", "west"),): 0.3}},
        [({"region": "west"}, "rate_change")],
    ),
    (
        "two causes at once",
        {"rate_drop": {(("channel", "web"), ("region", "north")): 0.4, (("device", "ios"),): 0.3}},
        [
            ({"channel": "web", "region": "north"}, "rate_change"),
            ({"device": "ios"}, "rate_change"),
        ],
    ),
    (
        "mix shift toward a segment that always converts worse",
        {"boost": ("channel", "phone")},
        [({"channel": "phone"}, "mix_shift")],
    ),
    (
        "tracking gap: events stop being recorded for one device",
        {"gap": ("device", "android")},
        [({"device": "android"}, "tracking_gap")],
    ),
    ("nothing moved: no localized cause", {}, []),
]


@pytest.mark.parametrize(("name", "kwargs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cause_analysis(
    name: str, kwargs: dict[str, object], expected: list[tuple[dict[str, str], str]]
) -> None:
    causes = analyse_causes(_cells(**kwargs), DIMS, metric=CONVERSION, baseline_weeks=4)  # type: ignore[arg-type]
    got = sorted((sorted(c.segment.items()), c.kind) for c in causes)
    assert got == sorted((sorted(seg.items()), kind) for seg, kind in expected)
    for c in causes:
        assert c.visits > 0 and c.baseline is not None and c.current is not None
        assert 0 < c.explained_share <= 1.5


def test_rate_change_explains_the_numbers_behind_it() -> None:
    cells = _cells(rate_drop={(("channel", "app"), ("device", "android")): 0.35})
    [cause] = analyse_causes(cells, DIMS, metric=CONVERSION, baseline_weeks=4)
    assert cause.baseline == pytest.approx(0.75, abs=0.02)
    assert cause.current == pytest.approx(0.40, abs=0.03)
    assert cause.visits == 100 * 5 * 3
    assert cause.baseline_visits == 100 * 5 * 3
    assert cause.explained_share > 0.8
