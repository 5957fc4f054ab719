"""Hour-of-week baselines: large segments only, holidays left out, over-dispersion found."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from store.catalog import MetricDef
from tools.watch import build_baselines

CONVERSION = MetricDef(
    name="conversion",
    label="Conversion",
    numerator="completed",  # type: ignore[arg-type]
    denominator="visits",  # type: ignore[arg-type]
    direction="higher",
    unit_value=1.0,
)
FIRST_HOUR = 490_000  # hours since the epoch; a multiple of 168 starts a week slot 0


def _hourly(rng: np.random.Generator, *, wobble: float = 0.0) -> pd.DataFrame:
    rows = []
    for h in range(FIRST_HOUR, FIRST_HOUR + 4 * 168):
        rate = 0.8 * (1 + rng.normal(0, wobble)) if wobble else 0.8
        for dim, value, share in (("", "", 1.0), ("channel", "web", 0.97), ("channel", "x", 0.03)):
            n = 100 * share
            x = float(rng.binomial(int(n), min(rate, 1.0)))
            rows.append(("j", "s", dim, value, h, int(n), x, x, float(int(n))))
    cols = ["journey", "stage", "dim", "value", "bin", "visits"]
    return pd.DataFrame(
        rows, columns=[*cols, "conversion__num", "conversion__num2", "conversion__den"]
    )


def test_small_segments_are_left_out_and_every_slot_has_four_weeks() -> None:
    table = build_baselines(
        _hourly(np.random.default_rng(1)),
        metrics=[CONVERSION],
        holidays=[],
        min_share=0.05,
        min_visits_per_hour=5,
    )
    assert set(table["value"]) == {"", "web"}
    assert (table.groupby("series")["how"].nunique() == 168).all()
    assert (table["weeks"] == 4).all()


def test_holiday_hours_do_not_count() -> None:
    holiday = dt.datetime.fromtimestamp(FIRST_HOUR * 3600, tz=dt.UTC).date()
    table = build_baselines(
        _hourly(np.random.default_rng(1)),
        metrics=[CONVERSION],
        holidays=[holiday],
        min_share=0.05,
        min_visits_per_hour=5,
    )
    assert sorted(set(table["weeks"])) == [3, 4]


def test_week_to_week_wobble_beyond_sampling_raises_the_dispersion() -> None:
    calm = build_baselines(
        _hourly(np.random.default_rng(2)),
        metrics=[CONVERSION],
        holidays=[],
        min_share=0.05,
        min_visits_per_hour=5,
    )
    wobbly = build_baselines(
        _hourly(np.random.default_rng(2), wobble=0.08),
        metrics=[CONVERSION],
        holidays=[],
        min_share=0.05,
        min_visits_per_hour=5,
    )
    stage = ("dim", "")
    assert calm[calm[stage[0]] == stage[1]]["phi"].iloc[0] < 1.5
    assert wobbly[wobbly[stage[0]] == stage[1]]["phi"].iloc[0] > 2.0
