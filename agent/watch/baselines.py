"""The series a watch cycle tests, with their baselines and thresholds, built once a day.

The baselines come from the prior `baseline_weeks` whole weeks, ending the day before
today, so each hour of the recent window (today's and yesterday's) is compared only with
the same hour of the week in earlier weeks. They are stored in SQL (one process computes
them, every other reads them) and kept in the run context's scratch for a long-running
loop, so a cycle never reads history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agent.context import RunContext
from store.catalog import MetricDef
from store.journeys import list_journeys
from store.live.baselines import baseline_day, read_baselines, replace_baselines
from store.warehouse.binned import binned_series
from tools.watch import build_baselines
from tools.watch.baseline import SERIES_COLUMNS
from tools.watch.cusum import threshold_for_arl, typical_delta

_SCRATCH = "live_series"


@dataclass(frozen=True)
class Series:
    """One tested series: its key, hour-of-week sums, over-dispersion and threshold."""

    key: str
    journey: str
    stage: str
    metric: str
    dim: str
    value: str
    slots: dict[int, tuple[float, float, float]]
    phi: float
    threshold: float


@dataclass(frozen=True)
class SeriesPlan:
    """Every series of one baseline day, and the dimensions their segments use."""

    day: dt.date
    series: list[Series]
    dims: list[str]


def watched_metrics(ctx: RunContext) -> list[MetricDef]:
    """Return the catalog metrics whose columns the warehouse has."""
    return [m for m in ctx.settings.metrics.values() if ctx.warehouse.supports(m)]


def _candidate_dims(ctx: RunContext, day: dt.date) -> list[str]:
    ignore = set(ctx.settings.warehouse.ignore_columns)
    dims = [d for d in ctx.warehouse.dimensions() if d not in ignore]
    # The store's journeys, not the warehouse's funnel inference, which reads all history.
    with ctx.sessions() as session:
        stages = [(j.id, s) for j in list_journeys(session) for s in j.stages]
    if not dims or not stages:
        return []
    counts = ctx.warehouse.stage_distinct_counts(
        stages=stages, dims=dims, start=day - dt.timedelta(days=7), end=day
    )
    limit = ctx.settings.warehouse.max_dimension_cardinality
    return [d for d in dims if 1 < max(c.get(d, 0) for c in counts.values()) <= limit]


def compute_baselines(ctx: RunContext, day: dt.date) -> pd.DataFrame:
    """Aggregate the prior weeks by hour (one query) into the baseline table of `day`."""
    live = ctx.settings.live
    end = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    start = end - dt.timedelta(weeks=live.baseline_weeks)
    metrics = watched_metrics(ctx)
    hourly = binned_series(
        ctx.warehouse,
        metrics=metrics,
        dims=_candidate_dims(ctx, day),
        start=start,
        end=end,
        minutes=60,
    )
    return build_baselines(
        hourly,
        metrics=metrics,
        holidays=ctx.settings.detection.holidays,
        min_share=live.min_segment_share,
        min_visits_per_hour=live.min_visits_per_hour,
    )


def series_plan(ctx: RunContext, now: dt.datetime) -> SeriesPlan:
    """Return today's series: from scratch, else from SQL, else computed and stored."""
    day = now.astimezone(dt.UTC).date()
    cached = ctx.scratch.get(_SCRATCH)
    if isinstance(cached, SeriesPlan) and cached.day == day:
        return cached
    with ctx.sessions() as session:
        stored = read_baselines(session) if baseline_day(session) == day else None
    if stored is None or stored.empty:
        stored = compute_baselines(ctx, day)
        with ctx.sessions.begin() as session:
            replace_baselines(session, computed_for=day, frame=stored)
    plan = _plan(ctx, day, stored)
    ctx.scratch[_SCRATCH] = plan
    return plan


def _plan(ctx: RunContext, day: dt.date, table: pd.DataFrame) -> SeriesPlan:
    live = ctx.settings.live
    bins_per_hour = 60 // live.bin_minutes
    if table.empty:
        return SeriesPlan(day=day, series=[], dims=[])
    per_stage = table.groupby(["journey", "stage"])["series"].nunique().to_dict()
    series: list[Series] = []
    for key, rows in table.groupby("series", sort=True):
        first = rows.iloc[0]
        phi = float(first["phi"])
        den, num, num2 = (rows[c].to_numpy(dtype=np.float64) for c in ("den", "num", "num2"))
        delta = typical_delta(
            den=den,
            num=num,
            num2=num2,
            weeks=rows["weeks"].to_numpy(dtype=np.float64),
            phi=phi,
            reference_change=live.reference_change,
            bins_per_hour=bins_per_hour,
        )
        # The stage's target run length is split over its series (a Bonferroni split).
        arl = live.stage_false_alarm_days * 24 * bins_per_hour
        arl *= per_stage[(first["journey"], first["stage"])]
        slots = {
            int(h): (float(d), float(n), float(n2))
            for h, d, n, n2 in zip(rows["how"], den, num, num2, strict=True)
        }
        ident = {c: str(first[c]) for c in SERIES_COLUMNS}
        series.append(
            Series(
                key=str(key),
                slots=slots,
                phi=phi,
                threshold=threshold_for_arl(delta, arl),
                **ident,
            )
        )
    dims = sorted({s.dim for s in series if s.dim})
    return SeriesPlan(day=day, series=series, dims=dims)
