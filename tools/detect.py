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
    frame = daily.copy()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    window, baseline = set(periods.window), set(periods.baseline)
    frame["period"] = np.where(
        frame["day"].isin(window), "current", np.where(frame["day"].isin(baseline), "baseline", "")
    )
    frame = frame[frame["period"] != ""]
    frame["weekday"] = pd.to_datetime(frame["day"]).dt.weekday
    frame["week"] = [(periods.end - d).days // 7 for d in frame["day"]]
    groups = [
        (str(j), str(s), _Columns(series))
        for (j, s), series in frame.groupby(["journey", "stage"], sort=True)
    ]
    results: list[Detection] = []
    for metric in metrics:
        if f"{metric.name}__num" not in frame.columns:
            continue
        stats = [(j, s, _series_stats(metric, cols, params)) for j, s, cols in groups]
        phi = _dispersion([st for _, _, st in stats if st is not None])
        for journey, stage, st in stats:
            if st is not None:
                results.append(_test(journey, stage, metric, st, phi))
    _flag(results, metrics, params)
    return results


class _Columns:
    """One series' daily rows as numpy arrays, split into window and baseline."""

    def __init__(self, series: pd.DataFrame) -> None:
        self.frame = series
        self.cur = (series["period"] == "current").to_numpy()
        self.weekday = series["weekday"].to_numpy()
        self.week = series["week"].to_numpy()
        self.visits = float(series["visits"].to_numpy()[self.cur].sum())

    def get(self, name: str) -> np.ndarray:
        return np.asarray(self.frame[name].to_numpy(dtype=float), dtype=np.float64)


class _Stats(BaseModel):
    current: float
    baseline: float
    expected: float
    var: float
    weekly_ratio: float | None
    visits: float
    den: float


def _series_stats(metric: MetricDef, cols: _Columns, params: DetectionSettings) -> _Stats | None:
    num, num2, den = (cols.get(f"{metric.name}__{s}") for s in ("num", "num2", "den"))
    cur, base = cols.cur, ~cols.cur
    cur_den, base_den = float(den[cur].sum()), float(den[base].sum())
    if cur_den < params.min_visits or base_den < params.min_visits:
        return None
    baseline = float(num[base].sum()) / base_den
    # Expected rate: each weekday's baseline rate weighted by this window's weekday volumes.
    wd_num = np.bincount(cols.weekday[base], num[base], minlength=7)
    wd_den = np.bincount(cols.weekday[base], den[base], minlength=7)
    rates = np.divide(wd_num, wd_den, out=np.full(7, baseline), where=wd_den > 0)
    weights = np.bincount(cols.weekday[cur], den[cur], minlength=7)
    var_base = _ratio_variance(num[base], num2[base], den[base])
    # How much the baseline weeks vary beyond their sampling noise (pooled across series).
    wk_num = np.bincount(cols.week[base], num[base])
    wk_den = np.bincount(cols.week[base], den[base])
    present = wk_den > 0
    ratio = None
    if present.sum() >= 2 and var_base > 0:
        weekly = wk_num[present] / wk_den[present]
        ratio = float(weekly.var(ddof=1)) / (var_base * int(present.sum()))
    return _Stats(
        current=float(num[cur].sum()) / cur_den,
        baseline=baseline,
        expected=float((rates * weights).sum() / max(weights.sum(), 1e-12)),
        var=_ratio_variance(num[cur], num2[cur], den[cur]) + var_base,
        weekly_ratio=ratio,
        visits=cols.visits,
        den=cur_den,
    )


def _dispersion(stats: Sequence[_Stats]) -> float:
    """Return the metric's week-to-week over-dispersion, pooled over every series.

    One series' four baseline weeks say little about its own drift; the median over all
    stages of how much weekly rates vary beyond sampling noise is a stable estimate.
    """
    ratios = [s.weekly_ratio for s in stats if s.weekly_ratio is not None]
    return max(1.0, float(np.median(ratios))) if ratios else 1.0


def _test(journey: str, stage: str, metric: MetricDef, st: _Stats, phi: float) -> Detection:
    sd = math.sqrt(st.var * phi) or 1e-12
    z = (st.current - st.expected) / sd
    worse = metric.worse(st.expected, st.current)
    p_value = 0.5 * math.erfc(abs(z) / math.sqrt(2.0)) if worse else 1.0
    rel = (st.current - st.expected) / abs(st.expected) if st.expected else math.inf
    return Detection(
        journey=journey,
        stage=stage,
        metric=metric.name,
        baseline=st.baseline,
        expected=st.expected,
        current=st.current,
        visits=st.visits,
        den=st.den,
        z=z,
        p_value=max(p_value, 1e-300),
        relative_change=rel,
        degraded=worse,
    )


def _ratio_variance(x: np.ndarray, x2: np.ndarray, y: np.ndarray) -> float:
    """Return the delta-method variance of Σx/Σy for per-visit pairs with y in {0, 1}."""
    sx, sx2, sy = float(x.sum()), float(x2.sum()), float(y.sum())
    if sy <= 0:
        return 0.0
    r = sx / sy
    return max(sx2 - 2 * r * sx + r * r * sy, 0.0) / (sy * sy)


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
