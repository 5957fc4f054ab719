"""Per-series statistics of the detector, for thousands of series in one vectorised pass.

Series are numbered in (journey, stage) order; every statistic is a `bincount` over that
number, so a scan's thousands of stage and segment series cost one pass each, not one
pandas slice each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from store.catalog import MetricDef


class SeriesRows:
    """The window and baseline rows of every series, as numpy arrays keyed by series number."""

    def __init__(
        self,
        daily: pd.DataFrame,
        *,
        window: Collection[dt.date],
        baseline: Collection[dt.date],
        end: dt.date,
    ) -> None:
        days = pd.to_datetime(daily["day"]).dt.date
        in_window = days.isin(window).to_numpy()
        keep = in_window | days.isin(baseline).to_numpy()
        frame = daily[keep]
        self.cur = in_window[keep]
        kept_days = days[keep]
        self.weekday = pd.to_datetime(kept_days).dt.weekday.to_numpy()
        self.week = np.asarray([(end - d).days // 7 for d in kept_days], dtype=np.int64)
        pairs = pd.MultiIndex.from_arrays(
            [frame["journey"].astype(str), frame["stage"].astype(str)]
        )
        codes, uniques = pd.factorize(pairs, sort=True)
        self.group = np.asarray(codes, dtype=np.int64)
        self.keys: list[tuple[str, str]] = [(str(j), str(s)) for j, s in uniques]
        self.frame = frame
        self.visits = self.sum(frame["visits"].to_numpy(dtype=float), self.cur)

    @property
    def n(self) -> int:
        return len(self.keys)

    def get(self, name: str) -> np.ndarray:
        return np.asarray(self.frame[name].to_numpy(dtype=float), dtype=np.float64)

    def sum(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.group[mask], values[mask], minlength=self.n)

    def by(self, values: np.ndarray, mask: np.ndarray, sub: np.ndarray, size: int) -> np.ndarray:
        """Return sums per series and sub-key (weekday or week) as an (n, size) matrix."""
        idx = self.group[mask] * size + sub[mask]
        return np.bincount(idx, values[mask], minlength=self.n * size).reshape(self.n, size)


@dataclass(frozen=True)
class SeriesStats:
    """Per-series statistics of one metric, one array entry per series."""

    valid: np.ndarray
    current: np.ndarray
    baseline: np.ndarray
    expected: np.ndarray
    var: np.ndarray
    weekly_ratio: np.ndarray
    visits: np.ndarray
    den: np.ndarray


def series_stats(metric: MetricDef, rows: SeriesRows, *, min_visits: float) -> SeriesStats:
    """Return the window, baseline, expected rate and variance of every series."""
    num, num2, den = (rows.get(f"{metric.name}__{s}") for s in ("num", "num2", "den"))
    cur, base = rows.cur, ~rows.cur
    cur_den, base_den = rows.sum(den, cur), rows.sum(den, base)
    valid = (cur_den >= min_visits) & (base_den >= min_visits)
    with np.errstate(divide="ignore", invalid="ignore"):
        baseline = rows.sum(num, base) / base_den
        # Expected rate: each weekday's baseline rate weighted by this window's weekday volumes.
        wd_num, wd_den = rows.by(num, base, rows.weekday, 7), rows.by(den, base, rows.weekday, 7)
        rates = np.where(wd_den > 0, wd_num / np.where(wd_den > 0, wd_den, 1.0), baseline[:, None])
        weights = rows.by(den, cur, rows.weekday, 7)
        expected = (rates * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-12)
        var_base = _ratio_variance(rows.sum(num, base), rows.sum(num2, base), base_den)
        var_cur = _ratio_variance(rows.sum(num, cur), rows.sum(num2, cur), cur_den)
        # How much the baseline weeks vary beyond their sampling noise (pooled across series).
        size = int(rows.week.max()) + 1 if len(rows.week) else 1
        wk_num, wk_den = rows.by(num, base, rows.week, size), rows.by(den, base, rows.week, size)
        present = wk_den > 0
        weeks = present.sum(axis=1)
        weekly = np.where(present, wk_num / np.where(present, wk_den, 1.0), 0.0)
        mean = weekly.sum(axis=1) / np.maximum(weeks, 1)
        spread = (np.where(present, weekly - mean[:, None], 0.0) ** 2).sum(axis=1)
        weekly_var = spread / np.maximum(weeks - 1, 1)
        has_ratio = (weeks >= 2) & (var_base > 0)
        ratio = np.where(has_ratio, weekly_var / np.where(has_ratio, var_base * weeks, 1.0), np.nan)
        current = rows.sum(num, cur) / cur_den
    return SeriesStats(
        valid=valid,
        current=current,
        baseline=baseline,
        expected=expected,
        var=var_cur + var_base,
        weekly_ratio=ratio,
        visits=rows.visits,
        den=cur_den,
    )


def _ratio_variance(sx: np.ndarray, sx2: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """Return the delta-method variance of Σx/Σy per series for per-visit pairs, y in {0, 1}."""
    safe = np.where(sy > 0, sy, 1.0)
    r = sx / safe
    var = np.maximum(sx2 - 2 * r * sx + r * r * sy, 0.0) / (safe * safe)
    return np.where(sy > 0, var, 0.0)
