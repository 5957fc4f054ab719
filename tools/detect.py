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
from pydantic import BaseModel
from scipy import stats

from tools.metrics import MetricDef


class DetectionParams(BaseModel):
    """Detection settings (the `[detection]` table of config.toml)."""

    window_days: int = 7
    baseline_weeks: int = 4
    fdr: float = 0.01
    min_relative_effect: float = 0.05
    min_visits: int = 200
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


def periods_for(as_of: dt.date, params: DetectionParams) -> Periods:
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
    daily: pd.DataFrame, metrics: Sequence[MetricDef], periods: Periods, params: DetectionParams
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
    results: list[Detection] = []
    for (journey, stage), series in frame.groupby(["journey", "stage"], sort=True):
        for metric in metrics:
            if f"{metric.name}__num" not in series.columns:
                continue
            result = _test_series(str(journey), str(stage), metric, series, params)
            if result is not None:
                results.append(result)
    _flag(results, metrics, params)
    return results


def _test_series(
    journey: str, stage: str, metric: MetricDef, series: pd.DataFrame, params: DetectionParams
) -> Detection | None:
    num, num2, den = (f"{metric.name}__{s}" for s in ("num", "num2", "den"))
    cur = series[series["period"] == "current"]
    base = series[series["period"] == "baseline"]
    cur_den, base_den = float(cur[den].sum()), float(base[den].sum())
    if cur_den < params.min_visits or base_den < params.min_visits:
        return None
    current = float(cur[num].sum()) / cur_den
    baseline = float(base[num].sum()) / base_den
    # Expected rate: each weekday's baseline rate weighted by this window's weekday volumes.
    by_day = base.groupby("weekday")[[num, den]].sum()
    rates = (by_day[num] / by_day[den].where(by_day[den] > 0)).reindex(range(7))
    cur_by_day = cur.groupby("weekday")[den].sum()
    weights = cur_by_day.reindex(range(7)).fillna(0.0)
    filled = rates.fillna(baseline)
    expected = float((filled * weights).sum() / max(weights.sum(), 1e-12))
    var_cur = _ratio_variance(cur, num, num2, den)
    var_base = _ratio_variance(base, num, num2, den)
    # Week-to-week drift beyond sampling noise, seen in the baseline weeks themselves.
    weekly = base.groupby("week")[[num, den]].sum()
    weekly = weekly[weekly[den] > 0]
    drift = 0.0
    if len(weekly) >= 2:
        weekly_rates = weekly[num] / weekly[den]
        sampling = var_base * len(weekly)
        drift = max(0.0, float(weekly_rates.var(ddof=1)) - sampling)
    sd = math.sqrt(var_cur + var_base + drift) or 1e-12
    z = (current - expected) / sd
    worse = metric.worse(expected, current)
    p_value = float(stats.norm.sf(abs(z))) if worse else 1.0
    rel = (current - expected) / abs(expected) if expected else math.inf
    return Detection(
        journey=journey,
        stage=stage,
        metric=metric.name,
        baseline=baseline,
        expected=expected,
        current=current,
        visits=float(cur["visits"].sum()),
        den=cur_den,
        z=z,
        p_value=max(p_value, 1e-300),
        relative_change=rel,
        degraded=worse,
    )


def _ratio_variance(frame: pd.DataFrame, num: str, num2: str, den: str) -> float:
    """Return the delta-method variance of Σx/Σy for per-visit pairs with y in {0, 1}."""
    sx, sx2, sy = float(frame[num].sum()), float(frame[num2].sum()), float(frame[den].sum())
    if sy <= 0:
        return 0.0
    r = sx / sy
    return max(sx2 - 2 * r * sx + r * r * sy, 0.0) / (sy * sy)


def _flag(results: list[Detection], metrics: Sequence[MetricDef], params: DetectionParams) -> None:
    """Flag degradations that pass Benjamini–Hochberg and the minimum effect sizes."""
    if not results:
        return
    by_name = {m.name: m for m in metrics}
    order = sorted(range(len(results)), key=lambda i: results[i].p_value)
    m = len(results)
    cutoff = 0.0
    for rank, i in enumerate(order, start=1):
        if results[i].p_value <= params.fdr * rank / m:
            cutoff = results[i].p_value
    for r in results:
        metric = by_name[r.metric]
        big_enough = (
            abs(r.current - r.expected) >= metric.min_effect
            and abs(r.relative_change) >= params.min_relative_effect
        )
        r.flagged = r.degraded and r.p_value <= cutoff and big_enough
