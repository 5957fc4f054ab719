"""Segment tool: one stage metric across the values of a dimension, window against baseline.

It answers "compare app and web" or "how do the channels compare?": the same ratio of sums
the scan tests, per segment, with the same window and same-weekday baseline.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agent.chat.tools.errors import ToolError
from agent.chat.tools.metrics import change
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import ResultPart, ToolResult
from agent.investigate.detect_breakdowns import detection_params
from store.catalog import MetricDef
from tools.detect import periods_for
from tools.units import format_value

_PER_DIMENSION = 8


class SegmentValue(ResultPart):
    dimension: str
    value: str
    expected: str
    current: str
    relative_change_pct: float | None
    visits: int


class SegmentComparison(ToolResult):
    """A stage metric per segment: baseline weeks against the window, busiest segments first."""

    journey: str
    stage: str
    metric: str
    window: str
    segments: list[SegmentValue]


def compare_segments(
    journey: str,
    stage: str,
    metric: str,
    dimension: str | None = None,
    as_of: dt.date | None = None,
    *,
    session: ToolSession,
) -> SegmentComparison:
    """Compare a stage metric across the values of a dimension (all dimensions when unset).

    Args:
        journey: Journey id, e.g. 'checkout'.
        stage: Stage id within the journey, e.g. 'payment'.
        metric: Metric name from the catalog, e.g. 'conversion'.
        dimension: Dimension to split by, e.g. 'channel' (default: every dimension).
        as_of: Last day of the window (default: newest).
    """
    session.check_place(journey, stage)
    definition = session.metric(metric)
    known = session.ctx.warehouse.dimensions()
    if dimension is not None and dimension not in known:
        raise ToolError(f"unknown dimension {dimension!r}; known: {', '.join(known)}")
    periods = periods_for(session.day(as_of), detection_params(session.ctx))
    frame = session.ctx.warehouse.segment_series(
        metrics=[definition],
        dims=[dimension] if dimension else known,
        start=min(periods.baseline, default=periods.start),
        end=periods.end,
    )
    if frame.empty:
        raise ToolError("no segments with visits in the window")
    frame = frame[(frame["journey"] == journey) & (frame["stage"] == stage)]
    window = {d.isoformat() for d in periods.window}
    in_window = frame["day"].astype(str).str[:10].isin(window)
    return SegmentComparison(
        journey=journey,
        stage=stage,
        metric=definition.name,
        window=f"{periods.start}..{periods.end}",
        segments=_segments(definition, frame, in_window),
    )


def _segments(metric: MetricDef, frame: pd.DataFrame, in_window: pd.Series) -> list[SegmentValue]:
    num, den = f"{metric.name}__num", f"{metric.name}__den"
    if num not in frame.columns:
        raise ToolError(f"the warehouse has no columns for metric {metric.name!r}")
    now = frame[in_window].groupby(["dim", "value"])[[num, den, "visits"]].sum()
    before = frame[~in_window].groupby(["dim", "value"])[[num, den]].sum()
    out: list[SegmentValue] = []
    for dim, rows in now.groupby(level="dim"):
        busiest = rows.sort_values("visits", ascending=False).head(_PER_DIMENSION)
        for (_, value), row in busiest.iterrows():
            key = (dim, value)
            expected = (
                before.loc[key, num] / before.loc[key, den]
                if key in before.index and before.loc[key, den]
                else None
            )
            current = row[num] / row[den] if row[den] else None
            relative = (
                change(metric, expected, current)[0]
                if expected is not None and current is not None
                else None
            )
            out.append(
                SegmentValue(
                    dimension=str(dim),
                    value=str(value),
                    expected=format_value(metric, expected),
                    current=format_value(metric, current),
                    relative_change_pct=relative,
                    visits=int(row["visits"]),
                )
            )
    return out
