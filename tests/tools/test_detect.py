"""Detector behaviours, one row each: volume-aware, weekday-aware, FDR-controlled."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from store.catalog import MetricDef
from tools.detect import DetectionSettings, detect_breakdowns, periods_for

AS_OF = dt.date(2026, 3, 31)
CONVERSION = MetricDef(
    name="conversion",
    label="Conversion",
    numerator="completed",
    denominator="visits",  # type: ignore[arg-type]
    direction="higher",
    unit="rate",
    unit_value=50.0,
    min_effect=0.01,
)
DURATION = MetricDef(
    name="duration",
    label="Time",
    numerator="duration_s",
    denominator="count:duration_s",  # type: ignore[arg-type]
    direction="lower",
    unit="seconds",
    unit_value=0.01,
    min_effect=30.0,
)


def _series(
    *,
    visits: int,
    rate: float,
    drop: float = 0.0,
    weekend_rate: float | None = None,
    weekend_share: float = 1.0,
    seed: int = 1,
    stage: str = "payment",
) -> pd.DataFrame:
    """Binomial daily conversion over 35 days; the last 7 days' rate falls by `drop`."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(35):
        day = AS_OF - dt.timedelta(days=34 - i)
        weekend = day.weekday() >= 5
        n = int(visits * (weekend_share if weekend else 1.0))
        p = weekend_rate if (weekend and weekend_rate is not None) else rate
        if i >= 28:
            p -= drop
        k = int(rng.binomial(n, p))
        rows.append(
            {
                "journey": "checkout",
                "stage": stage,
                "day": day,
                "visits": n,
                "conversion__num": k,
                "conversion__num2": k,
                "conversion__den": n,
            }
        )
    return pd.DataFrame(rows)


CASES = [
    # name, frame kwargs, flagged?
    (
        "two-point drop on 50 visits a day is noise",
        {"visits": 50, "rate": 0.8, "drop": 0.02},
        False,
    ),
    (
        "two-point drop on 50,000 visits a day is real",
        {"visits": 50_000, "rate": 0.8, "drop": 0.02},
        True,
    ),
    ("no change is never flagged", {"visits": 20_000, "rate": 0.8}, False),
    ("an improvement is not a breakdown", {"visits": 20_000, "rate": 0.7, "drop": -0.05}, False),
    ("big drop is flagged", {"visits": 2_000, "rate": 0.8, "drop": 0.15}, True),
    (
        "weekend dip that happens every week is seasonality, not a breakdown",
        {"visits": 20_000, "rate": 0.8, "weekend_rate": 0.6, "weekend_share": 0.3},
        False,
    ),
    (
        "drop smaller than the minimum effect is ignored",
        {"visits": 500_000, "rate": 0.8, "drop": 0.005},
        False,
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "flagged"), CASES, ids=[c[0] for c in CASES])
def test_detector_behaviour(name: str, kwargs: dict[str, float], flagged: bool) -> None:
    params = DetectionSettings(min_relative_effect=0.0)
    periods = periods_for(AS_OF, params)
    results = detect_breakdowns(_series(**kwargs), [CONVERSION], periods, params)  # type: ignore[arg-type]
    assert len(results) == 1
    assert results[0].flagged is flagged


def test_benjamini_hochberg_keeps_false_alarms_rare_across_many_series() -> None:
    frames = [_series(visits=3_000, rate=0.75, seed=s, stage=f"s{s}") for s in range(200)]
    params = DetectionSettings(min_relative_effect=0.0, fdr=0.01)
    results = detect_breakdowns(pd.concat(frames), [CONVERSION], periods_for(AS_OF, params), params)
    assert len(results) == 200
    assert sum(r.flagged for r in results) <= 2


def test_holidays_are_left_out_of_the_baseline() -> None:
    holiday = AS_OF - dt.timedelta(days=14)
    params = DetectionSettings(holidays=[holiday])
    periods = periods_for(AS_OF, params)
    assert holiday not in periods.baseline
    assert len(periods.baseline) == 27
    assert periods.window[-1] == AS_OF and len(periods.window) == 7
    assert {d.weekday() for d in periods.baseline} == {d.weekday() for d in periods.window}


def test_lower_is_better_metric_flags_a_rise() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(35):
        day = AS_OF - dt.timedelta(days=34 - i)
        n = 3_000
        mean = 1_800.0 if i < 28 else 2_400.0
        x = rng.normal(mean, 600.0, n)
        rows.append(
            {
                "journey": "claim",
                "stage": "assessment",
                "day": day,
                "visits": n,
                "duration__num": x.sum(),
                "duration__num2": (x * x).sum(),
                "duration__den": n,
            }
        )
    params = DetectionSettings()
    [result] = detect_breakdowns(pd.DataFrame(rows), [DURATION], periods_for(AS_OF, params), params)
    assert result.flagged
    assert result.current > result.expected
