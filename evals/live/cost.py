"""A watch cycle's cost at growing stored history, with the recent traffic held constant.

For each size, history of the same stages at the same hourly volume is loaded week by week
(so a larger size means a longer history, not busier hours); then the first cycle (which
builds the day's baselines from the prior weeks) and `cycles` further cycles are timed.
If a cycle read history its time would grow with the size; it reads only the recent window.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from agent.context import build_context
from agent.ingest import ingest_events
from agent.watch.cycle import run_cycle
from agent.workspace import Workspace
from evals.live.data import StageSpec, generate, write_history
from evals.live.replay import eval_settings

_STAGES = [StageSpec(f"c{i}", 300.0, 0.8) for i in range(4)]
_NOW = dt.datetime(2026, 3, 2, 12, 5, tzinfo=dt.UTC)


class CostPoint(BaseModel):
    """Cycle times at one stored size."""

    events: int
    history_days: int
    baseline_s: float
    cycle_s_median: float
    cycle_s_max: float


class CostReport(BaseModel):
    """The `journeyops eval live --cost` contract."""

    points: list[CostPoint]
    cycle_growth: float
    extrapolation: str


def _load(root: Path, events: int, status: Callable[[str], None]) -> tuple[int, int]:
    settings = eval_settings()
    ctx = build_context(settings, Workspace.resolve(root / "home"), with_insights=False)
    stored, week = 0, 0
    try:
        while stored < events:
            end = _NOW - dt.timedelta(weeks=week)
            chunk = generate(
                _STAGES, start=end - dt.timedelta(weeks=1), end=end, breaks=[], seed=week + 1
            )
            if week == 0:
                chunk = chunk[chunk["ts"] < _NOW]
            path = write_history(chunk, root / f"week-{week}.parquet")
            ingest_events(ctx, path)
            path.unlink()
            stored += len(chunk)
            week += 1
            status(f"{stored:,} events stored")
    finally:
        ctx.warehouse.close()
        ctx.sessions.kw["bind"].dispose()
    return stored, week * 7


def _time(root: Path, cycles: int) -> tuple[float, list[float]]:
    ctx = build_context(eval_settings(), Workspace.resolve(root / "home"), with_insights=False)
    try:
        began = time.perf_counter()
        run_cycle(ctx, now=_NOW, environ={})
        baseline = time.perf_counter() - began
        times = []
        for i in range(1, cycles + 1):
            began = time.perf_counter()
            run_cycle(ctx, now=_NOW + dt.timedelta(minutes=5 * i), environ={})
            times.append(time.perf_counter() - began)
    finally:
        ctx.warehouse.close()
        ctx.sessions.kw["bind"].dispose()
    return baseline, times


def run_cost(
    *,
    sizes: Sequence[int] = (1_000_000, 10_000_000),
    cycles: int = 5,
    status: Callable[[str], None] = lambda _m: None,
) -> CostReport:
    """Time the first and the following cycles at each stored size."""
    points = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="journeyops-live-cost-") as tmp:
            stored, days = _load(Path(tmp), size, status)
            status(f"Timing cycles at {stored:,} events …")
            baseline, times = _time(Path(tmp), cycles)
        points.append(
            CostPoint(
                events=stored,
                history_days=days,
                baseline_s=round(baseline, 3),
                cycle_s_median=round(statistics.median(times), 3),
                cycle_s_max=round(max(times), 3),
            )
        )
    first, last = points[0], points[-1]
    growth = last.cycle_s_median / max(first.cycle_s_median, 1e-9)
    # A straight line through the two sizes: an upper bound if the cost is truly flat.
    slope = (last.cycle_s_median - first.cycle_s_median) / max(last.events - first.events, 1)
    at_100m = max(last.cycle_s_median + slope * (100_000_000 - last.events), 0.0)
    return CostReport(
        points=points,
        cycle_growth=round(growth, 2),
        extrapolation=(
            f"cycle time x{growth:.2f} from {first.events:,} to {last.events:,} stored events "
            f"(same recent traffic); a straight line through both gives {at_100m:.2f} s per "
            "cycle at 100,000,000 events"
        ),
    )
