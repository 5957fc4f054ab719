"""Metric tools: what the warehouse holds, one metric's daily values, a window against its baseline.

Values are formatted in the metric's unit exactly as the scan reports them, so the
grounding guard can match any number a model repeats.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from agent.chat.tools.errors import ToolError
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import ResultPart, ToolResult
from agent.investigate.detect_breakdowns import detection_params
from store.catalog import MetricDef
from tools.detect import detect_breakdowns, periods_for
from tools.units import format_p, format_value

_MAX_DAYS = 92

# Only rates have a change in percentage points; other units leave the key out entirely.
PointsChange = Annotated[float | None, Field(exclude_if=lambda v: v is None)]


class MetricInfo(ResultPart):
    name: str
    label: str
    unit: str
    direction: Literal["higher", "lower"]


class Catalog(ToolResult):
    """Journeys with their stages, the metric catalog and the days of data."""

    journeys: dict[str, list[str]]
    metrics: list[MetricInfo]
    data_from: dt.date | None
    data_to: dt.date | None

    @property
    def metric_names(self) -> list[str]:
        """Return the names of the catalog's metrics."""
        return [m.name for m in self.metrics]


class DayValue(ResultPart):
    day: dt.date
    value: str | None
    visits: int


class MetricSeries(ToolResult):
    """Daily values of one journey stage metric."""

    journey: str
    stage: str
    metric: str
    days: list[DayValue]


class Comparison(ToolResult):
    """One window against the same weekdays of the baseline weeks."""

    journey: str
    stage: str
    metric: str
    window: str
    expected: str
    current: str
    relative_change_pct: float | None
    change_points: PointsChange = None
    visits: int
    p_value: float
    significance: str = ""
    worse: bool
    significant: bool


def catalog(*, session: ToolSession) -> Catalog:
    """List journeys, stages, metrics and the days of data."""
    ctx = session.ctx
    span = ctx.warehouse.date_range()
    return Catalog(
        journeys=ctx.warehouse.journeys(),
        metrics=[
            MetricInfo(name=m.name, label=m.label, unit=m.unit, direction=m.direction)
            for m in ctx.settings.metrics.values()
        ],
        data_from=span[0] if span else None,
        data_to=span[1] if span else None,
    )


def query_metric(
    journey: str,
    stage: str,
    metric: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    session: ToolSession,
) -> MetricSeries:
    """Return the daily values of one journey stage metric (at most 92 days at a time).

    Args:
        journey: Journey id, e.g. 'checkout'.
        stage: Stage id within the journey, e.g. 'payment'.
        metric: Metric name from the catalog, e.g. 'conversion'.
        start: First day (default: 28 days before end).
        end: Last day (default: newest data).
    """
    session.check_place(journey, stage)
    definition = session.metric(metric)
    last = session.day(end)
    first = start or last - dt.timedelta(days=27)
    if (last - first).days >= _MAX_DAYS:
        raise ToolError(f"ask for at most {_MAX_DAYS} days at a time")
    daily = session.ctx.warehouse.daily_series(
        metrics=[definition], start=first, end=last, journey=journey, stage=stage
    )
    num, den = f"{definition.name}__num", f"{definition.name}__den"
    if num not in daily.columns:
        raise ToolError(f"the warehouse has no columns for metric {definition.name!r}")
    days = [
        DayValue(
            day=dt.date.fromisoformat(str(row["day"])[:10]),
            value=format_value(definition, row[num] / row[den]) if row[den] else None,
            visits=int(row["visits"]),
        )
        for _, row in daily.sort_values("day").iterrows()
    ]
    return MetricSeries(journey=journey, stage=stage, metric=definition.name, days=days)


def compare_periods(
    journey: str,
    stage: str,
    metric: str,
    as_of: dt.date | None = None,
    window_days: Annotated[int, Field(ge=1, le=28)] | None = None,
    *,
    session: ToolSession,
) -> Comparison:
    """Compare a window with the same weekdays of the prior weeks (volume-aware test).

    Args:
        journey: Journey id, e.g. 'checkout'.
        stage: Stage id within the journey, e.g. 'payment'.
        metric: Metric name from the catalog, e.g. 'conversion'.
        as_of: Last day of the window (default: newest).
        window_days: Window length in days (default: the scan's window).
    """
    session.check_place(journey, stage)
    definition = session.metric(metric)
    params = detection_params(session.ctx)
    if window_days:
        params = params.model_copy(update={"window_days": window_days})
    periods = periods_for(session.day(as_of), params)
    daily = session.ctx.warehouse.daily_series(
        metrics=[definition],
        start=min(periods.baseline, default=periods.start),
        end=periods.end,
        journey=journey,
        stage=stage,
    )
    found = [d for d in detect_breakdowns(daily, [definition], periods, params) if d.stage == stage]
    if not found:
        raise ToolError("not enough visits in the window or the baseline to compare")
    d = found[0]
    relative, points = change(definition, d.expected, d.current)
    return Comparison(
        journey=journey,
        stage=stage,
        metric=definition.name,
        window=f"{periods.start}..{periods.end}",
        expected=format_value(definition, d.expected),
        current=format_value(definition, d.current),
        relative_change_pct=relative,
        change_points=points,
        visits=round(d.visits),
        p_value=float(f"{d.p_value:.3g}"),
        significance=format_p(d.p_value),
        worse=d.degraded,
        significant=d.p_value < params.fdr,
    )


def change(metric: MetricDef, expected: float, current: float) -> tuple[float | None, float | None]:
    """Return the relative change in percent and, for rates, the change in points."""
    relative = round((current / expected - 1) * 100, 1) if expected else None
    points = round((current - expected) * 100, 1) if metric.unit == "rate" else None
    return relative, points
