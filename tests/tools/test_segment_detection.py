"""Segment-level detection: a break confined to a large segment that the stage total hides."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from store.catalog import MetricDef
from tools.detect import DetectionSettings, detect_segments, periods_for

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


def _segments(drops: dict[str, float], seed: int = 0) -> pd.DataFrame:
    """Daily binomial series for three regions of one stage over 35 days."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(35):
        day = AS_OF - dt.timedelta(days=34 - i)
        for region in ("north", "south", "east"):
            n, p = 1500, 0.8 - (drops.get(region, 0.0) if i >= 28 else 0.0)
            k = int(rng.binomial(n, p))
            rows.append(
                {
                    "journey": "claims",
                    "stage": "submit",
                    "day": day,
                    "dim": "region",
                    "value": region,
                    "visits": n,
                    "conversion__num": k,
                    "conversion__num2": k,
                    "conversion__den": n,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("drops", "expected"),
    [
        ({"east": 0.15, "north": -0.1}, [{"region": "east"}]),
        ({}, []),
        ({"south": -0.1}, []),
    ],
    ids=["hidden by another segment's gain", "nothing moved", "only an improvement"],
)
def test_segment_detection(drops: dict[str, float], expected: list[dict[str, str]]) -> None:
    params = DetectionSettings()
    found = detect_segments(_segments(drops), [CONVERSION], periods_for(AS_OF, params), params)
    assert [f.segment for f in found] == expected
    for f in found:
        assert f.share == pytest.approx(1 / 3)
