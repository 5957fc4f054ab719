"""Hour-of-week baselines per series, from the hourly sums of prior weeks.

A series is one journey, stage and metric, for the whole stage or one large segment
(a single dimension value holding at least `min_share` of the stage). For every hour of
the week it keeps the sums over the prior weeks (visits, Σx, Σx²), so the expected value
of a bin is its own volume × the hour's mean and its variance follows from the per-visit
variance: binomial for rates, the sample variance for sums. Week-to-week variation beyond
that sampling noise is one over-dispersion factor per series, estimated robustly (the
median squared leave-one-week-out residual), so past incidents in the baseline weeks do
not inflate it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd

from store.catalog import MetricDef

HOURS_PER_WEEK = 168
# Median of a chi-square variable with one degree of freedom.
_CHI2_MEDIAN = 0.4549
_MAX_PHI = 25.0
SERIES_COLUMNS = ["journey", "stage", "metric", "dim", "value"]
# One row per series and hour of the week.
BaselineTable: TypeAlias = pd.DataFrame
BASELINE_COLUMNS = [
    "series",
    *SERIES_COLUMNS,
    "how",
    "weeks",
    "den",
    "num",
    "num2",
    "phi",
    "share",
]


def series_key(journey: str, stage: str, metric: str, dim: str, value: str) -> str:
    """Return the stable text key of a series."""
    return f"{journey}|{stage}|{metric}|{dim}|{value}"


def hour_of_week(hour_bin: np.ndarray | int) -> np.ndarray | int:
    """Return the hour-of-week slot of an hour index (hours since the epoch)."""
    return hour_bin % HOURS_PER_WEEK


def build_baselines(
    hourly: pd.DataFrame,
    *,
    metrics: Sequence[MetricDef],
    holidays: Collection[dt.date],
    min_share: float,
    min_visits_per_hour: float,
) -> BaselineTable:
    """Return the baseline table of every series with enough volume.

    `hourly` is `store.warehouse.binned.binned_series` at 60-minute bins over whole prior
    weeks; hours on holidays are left out.
    """
    if hourly.empty:
        return pd.DataFrame(columns=BASELINE_COLUMNS)
    frame = hourly
    if holidays:
        days = pd.to_datetime(frame["bin"] * 3600, unit="s").dt.date
        frame = frame[~days.isin(set(holidays))]
    parts = [_one_metric(frame, m, min_share, min_visits_per_hour) for m in metrics]
    kept = [p for p in parts if not p.empty]
    if not kept:
        return pd.DataFrame(columns=BASELINE_COLUMNS)
    table: pd.DataFrame = pd.concat(kept, ignore_index=True)[BASELINE_COLUMNS]
    return table


def _one_metric(
    frame: pd.DataFrame, metric: MetricDef, min_share: float, min_rate: float
) -> pd.DataFrame:
    num, num2, den = (f"{metric.name}__{s}" for s in ("num", "num2", "den"))
    if den not in frame.columns:
        return pd.DataFrame()
    cells = frame.loc[frame[den] > 0, ["journey", "stage", "dim", "value", "bin", num, num2, den]]
    cells = cells.rename(columns={num: "num", num2: "num2", den: "den"})
    if cells.empty:
        return pd.DataFrame()
    cells = cells.assign(metric=metric.name, how=cells["bin"] % HOURS_PER_WEEK)
    cells["week"] = cells["bin"] // HOURS_PER_WEEK
    totals = cells.groupby(SERIES_COLUMNS, as_index=False)[["den"]].sum()
    weeks = cells.groupby(SERIES_COLUMNS)["week"].nunique().rename("n_weeks").reset_index()
    totals = totals.merge(weeks, on=SERIES_COLUMNS)
    stage = totals[totals["dim"] == ""][["journey", "stage", "metric", "den"]]
    totals = totals.merge(stage, on=["journey", "stage", "metric"], suffixes=("", "_stage"))
    totals["share"] = totals["den"] / totals["den_stage"]
    per_hour = totals["den"] / (totals["n_weeks"] * HOURS_PER_WEEK)
    keep = totals[(totals["share"] >= min_share) & (per_hour >= min_rate)]
    cells = cells.merge(keep[[*SERIES_COLUMNS, "share"]], on=SERIES_COLUMNS)
    if cells.empty:
        return pd.DataFrame()
    slots = cells.groupby([*SERIES_COLUMNS, "how"], as_index=False).agg(
        weeks=("week", "nunique"),
        den=("den", "sum"),
        num=("num", "sum"),
        num2=("num2", "sum"),
        share=("share", "first"),
    )
    phi = _dispersion(cells, slots)
    slots = slots.merge(phi, on=SERIES_COLUMNS, how="left")
    slots["phi"] = slots["phi"].fillna(1.0)
    slots["series"] = [
        series_key(*row) for row in slots[SERIES_COLUMNS].itertuples(index=False, name=None)
    ]
    return slots


def unit_variance(num: np.ndarray, num2: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Return the per-visit variance from sums, floored so a constant series still has noise."""
    mean = num / den
    var = num2 / den - mean * mean
    floor = 1e-4 * np.maximum(mean * mean, 1e-4)
    out: np.ndarray = np.maximum(var, floor)
    return out


def _dispersion(cells: pd.DataFrame, slots: pd.DataFrame) -> pd.DataFrame:
    """Return each series' over-dispersion factor from leave-one-week-out residuals."""
    both = cells.merge(
        slots[[*SERIES_COLUMNS, "how", "den", "num", "num2"]],
        on=[*SERIES_COLUMNS, "how"],
        suffixes=("", "_all"),
    )
    other_den = both["den_all"] - both["den"]
    both = both[other_den > 0]
    if both.empty:
        return pd.DataFrame(columns=[*SERIES_COLUMNS, "phi"])
    other_den = both["den_all"] - both["den"]
    rate = (both["num_all"] - both["num"]) / other_den
    var_unit = unit_variance(
        both["num_all"].to_numpy(), both["num2_all"].to_numpy(), both["den_all"].to_numpy()
    )
    n = both["den"].to_numpy()
    var = var_unit * (n + n * n / other_den.to_numpy())
    z2 = (both["num"].to_numpy() - n * rate.to_numpy()) ** 2 / var
    both = both.assign(z2=z2)
    phi = both.groupby(SERIES_COLUMNS)["z2"].median() / _CHI2_MEDIAN
    return phi.clip(lower=1.0, upper=_MAX_PHI).rename("phi").reset_index()
