"""One watch cycle: read the recent window once, run every series' CUSUM, track incidents.

The cycle reads the warehouse twice at most: one aggregate query over the last
`window_hours` (stage totals and large segments, by bin) and, only when an incident is
open, the localizer's leaf cells of that stage. Baselines come from `series_plan`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel

from agent.context import RunContext
from agent.watch.baselines import Series, series_plan, watched_metrics
from agent.watch.incidents import Signal, track_incidents
from store.live.incidents import last_closed
from store.warehouse.binned import bin_of, binned_series
from tools.watch import SeriesState, run_cusum

SeriesId = tuple[str, str, str, str]


class CycleReport(BaseModel):
    """What one cycle did (the `watch --json` line)."""

    at: dt.datetime
    series: int
    alarmed: int
    opened: list[str] = []
    confirmed: list[str] = []
    resolved: list[str] = []
    alerted: list[str] = []
    proposed: list[str] = []
    seconds: float = 0.0


def _by_series(recent: pd.DataFrame, metric: str) -> dict[SeriesId, pd.DataFrame]:
    den = f"{metric}__den"
    if recent.empty or den not in recent.columns:
        return {}
    part = recent.loc[recent[den] > 0, ["journey", "stage", "dim", "value", "bin", den]]
    part = part.assign(num=recent[f"{metric}__num"], den=part[den])
    groups = part.sort_values("bin").groupby(["journey", "stage", "dim", "value"], sort=False)
    return {(str(k[0]), str(k[1]), str(k[2]), str(k[3])): g for k, g in groups}


def _holiday_bins(ctx: RunContext, bins: np.ndarray) -> np.ndarray:
    holidays = ctx.settings.detection.holidays
    if not holidays or not len(bins):
        return np.zeros(len(bins), dtype=bool)
    minutes = ctx.settings.live.bin_minutes
    days = pd.to_datetime(bins * minutes * 60, unit="s").date
    return np.isin(days, np.array(list(holidays), dtype=object))


def run_cycle(
    ctx: RunContext, *, now: dt.datetime | None = None, environ: Mapping[str, str] = os.environ
) -> CycleReport:
    """Run one cycle at `now` (the context's clock by default) and return its report.

    `environ` holds the alert target's secret (the process environment by default).
    """
    began = time.perf_counter()
    now = now or ctx.clock()
    live = ctx.settings.live
    plan = series_plan(ctx, now)
    start = now - dt.timedelta(hours=live.window_hours)
    recent = binned_series(
        ctx.warehouse,
        metrics=watched_metrics(ctx),
        dims=plan.dims,
        start=start,
        end=now,
        minutes=live.bin_minutes,
    )
    with ctx.sessions() as session:
        resets = last_closed(session)
    frames = {m: _by_series(recent, m) for m in {s.metric for s in plan.series}}
    recent_from = bin_of(now - dt.timedelta(minutes=live.resolve_minutes), live.bin_minutes)
    signals: dict[tuple[str, str, str], list[Signal]] = defaultdict(list)
    for s in plan.series:
        state = _state(
            ctx,
            s,
            frames[s.metric].get((s.journey, s.stage, s.dim, s.value)),
            resets.get((s.journey, s.stage, s.metric)),
            recent_from,
        )
        signals[(s.journey, s.stage, s.metric)].append(Signal(series=s, state=state))
    tracked = track_incidents(ctx, signals, now=now, environ=environ)
    return CycleReport(
        at=now,
        series=len(plan.series),
        alarmed=sum(sig.state.alarmed for sigs in signals.values() for sig in sigs),
        opened=tracked.opened,
        confirmed=tracked.confirmed,
        resolved=tracked.resolved,
        alerted=tracked.alerted,
        proposed=tracked.proposed,
        seconds=time.perf_counter() - began,
    )


def _state(
    ctx: RunContext,
    s: Series,
    frame: pd.DataFrame | None,
    reset_at: dt.datetime | None,
    recent_from: int,
) -> SeriesState:
    live = ctx.settings.live
    if frame is None:
        bins, num, den = np.array([], dtype=np.int64), np.array([]), np.array([])
    else:
        bins = frame["bin"].to_numpy(dtype=np.int64)
        num = frame["num"].to_numpy(dtype=np.float64)
        den = frame["den"].to_numpy(dtype=np.float64)
    # The CUSUM restarts after each resolved incident of the series (reset per incident).
    keep = ~_holiday_bins(ctx, bins)
    if reset_at is not None:
        keep &= bins >= bin_of(reset_at, live.bin_minutes) + 1
    return run_cusum(
        bins=bins[keep],
        num=num[keep],
        den=den[keep],
        baseline=s.slots,
        phi=s.phi,
        direction=ctx.settings.metrics[s.metric].direction,
        reference_change=live.reference_change,
        threshold=s.threshold,
        bin_minutes=live.bin_minutes,
        recent_from=recent_from,
    )
