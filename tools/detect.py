"""Breakdown detection: volume-aware tests of each journey × stage × metric series.

The baseline is the same weekdays of the previous weeks (holidays left out), so weekly
seasonality cancels; the test combines the sampling error of both periods with the
week-to-week drift seen in the baseline, so a two-point move on fifty visits is noise and
on fifty thousand it is not; Benjamini–Hochberg controls false discoveries across every
series scanned.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import false_discovery_control

from store.catalog import MetricDef
from tools.series_stats import SeriesRows, SeriesStats, series_stats


class DetectionSettings(BaseModel):
    """How series are tested: the `[detection]` table of config.toml."""

    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(default=7, ge=1, le=28)
    baseline_weeks: int = Field(default=4, ge=1, le=26)
    fdr: float = Field(default=0.01, gt=0, lt=1)
    min_relative_effect: float = Field(default=0.05, ge=0)
    min_visits: int = Field(default=200, ge=1)
    holidays: list[dt.date] = []


class Periods(BaseModel):
    """The days of the current window and of its same-weekday baseline."""

    window: list[dt.date]
    baseline: list[dt.date]

    @property
    def start(self) -> dt.date:
        return self.window[0]

    @property
    def end(self) -> dt.date:
        return self.window[-1]


class Detection(BaseModel):
    """The test result of one journey × stage × metric series."""

    journey: str
    stage: str
    metric: str
    baseline: float
    expected: float
    current: float
    visits: float
    den: float
    z: float
    p_value: float
    relative_change: float
    degraded: bool
    flagged: bool = False


def periods_for(as_of: dt.date, params: DetectionSettings) -> Periods:
    """Return the window ending at `as_of` and the same weekdays of the weeks before it."""
    holidays = set(params.holidays)
    window = [as_of - dt.timedelta(days=i) for i in range(params.window_days - 1, -1, -1)]
    baseline = [
        d - dt.timedelta(weeks=k)
        for k in range(1, params.baseline_weeks + 1)
        for d in window
        if d - dt.timedelta(weeks=k) not in holidays
    ]
    return Periods(
        window=[d for d in window if d not in holidays] or window, baseline=sorted(baseline)
    )


def detect_breakdowns(
    daily: pd.DataFrame, metrics: Sequence[MetricDef], periods: Periods, params: DetectionSettings
) -> list[Detection]:
    """Test every series in `daily` and flag the degradations that survive FDR control.

    `daily` has one row per journey, stage and day with `visits` and, per metric,
    `<name>__num`, `<name>__num2` and `<name>__den` (see store.warehouse.daily_series).
    """
    if daily.empty:
        return []
    rows = SeriesRows(
        daily, window=set(periods.window), baseline=set(periods.baseline), end=periods.end
    )
    results: list[Detection] = []
    for metric in metrics:
        if f"{metric.name}__num" not in daily.columns:
            continue
        st = series_stats(metric, rows, min_visits=params.min_visits)
        phi = _dispersion(st.weekly_ratio[st.valid])
        for g in np.flatnonzero(st.valid):
            journey, stage = rows.keys[g]
            results.append(_test(journey, stage, metric, st, int(g), phi))
    _flag(results, metrics, params)
    return results


def _dispersion(ratios: np.ndarray) -> float:
    """Return the metric's week-to-week over-dispersion, pooled over every series.

    One series' four baseline weeks say little about its own drift; the median over all
    stages of how much weekly rates vary beyond sampling noise is a stable estimate.
    """
    known = ratios[~np.isnan(ratios)]
    return max(1.0, float(np.median(known))) if len(known) else 1.0


def _test(
    journey: str, stage: str, metric: MetricDef, st: SeriesStats, g: int, phi: float
) -> Detection:
    current, expected = float(st.current[g]), float(st.expected[g])
    sd = math.sqrt(float(st.var[g]) * phi) or 1e-12
    z = (current - expected) / sd
    worse = metric.worse(expected, current)
    p_value = 0.5 * math.erfc(abs(z) / math.sqrt(2.0)) if worse else 1.0
    rel = (current - expected) / abs(expected) if expected else math.inf
    return Detection(
        journey=journey,
        stage=stage,
        metric=metric.name,
        baseline=float(st.baseline[g]),
        expected=expected,
        current=current,
        visits=float(st.visits[g]),
        den=float(st.den[g]),
        z=z,
        p_value=max(p_value, 1e-300),
        relative_change=rel,
        degraded=worse,
    )


def _flag(
    results: list[Detection], metrics: Sequence[MetricDef], params: DetectionSettings
) -> None:
    """Flag degradations that pass Benjamini–Hochberg and the minimum effect sizes."""
    if not results:
        return
    by_name = {m.name: m for m in metrics}
    adjusted = false_discovery_control([r.p_value for r in results], method="bh")
    for r, q in zip(results, adjusted, strict=True):
        metric = by_name[r.metric]
        big_enough = (
            abs(r.current - r.expected) >= metric.min_effect
            and abs(r.relative_change) >= params.min_relative_effect
        )
        r.flagged = r.degraded and bool(q <= params.fdr) and big_enough


class SegmentDetection(BaseModel):
    """A flagged single-dimension segment of a journey stage."""

    journey: str
    stage: str
    metric: str
    segment: dict[str, str]
    share: float
    detection: Detection


def detect_segments(
    series: pd.DataFrame,
    metrics: Sequence[MetricDef],
    periods: Periods,
    params: DetectionSettings,
    *,
    min_share: float = 0.1,
) -> list[SegmentDetection]:
    """Test every single-dimension segment holding ≥ `min_share` of its stage's volume.

    A break confined to one segment can hide in a stage total that other segments pull the
    other way; testing the large segments as series of their own (with their own
    Benjamini–Hochberg family) finds it.
    """
    if series.empty:
        return []
    frame = series.copy()
    key = frame["stage"] + "\x1f" + frame["dim"] + "\x1f" + frame["value"]
    window = set(periods.window)
    current = frame[frame["day"].isin(window)]
    shares: dict[tuple[str, ...], float] = {}
    for metric in metrics:
        den = f"{metric.name}__den"
        if den not in frame.columns:
            continue
        by_seg = current.groupby(["journey", "stage", "dim", "value"])[den].sum()
        by_dim = by_seg.groupby(level=[0, 1, 2]).transform("sum")
        for idx, share in (by_seg / by_dim.where(by_dim > 0)).fillna(0.0).items():
            shares[(metric.name, *idx)] = float(share)
    frame["stage"] = key
    found = []
    for d in detect_breakdowns(frame.drop(columns=["dim", "value"]), metrics, periods, params):
        if not d.flagged:
            continue
        stage, dim, value = d.stage.split("\x1f")
        share = shares.get((d.metric, d.journey, stage, dim, value), 0.0)
        if share >= min_share:
            found.append(
                SegmentDetection(
                    journey=d.journey,
                    stage=stage,
                    metric=d.metric,
                    segment={dim: value},
                    share=share,
                    detection=d,
                )
            )
    return found
