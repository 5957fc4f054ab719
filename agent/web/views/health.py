"""What the health pages show: journeys with sparklines, and one breakdown in full."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

import pandas as pd
from markupsafe import Markup

from agent.context import RunContext
from agent.web.views.charts import Overlay, breakdown_chart, sparkline
from store.breakdowns import get_breakdown, latest_breakdowns
from store.catalog import MetricDef
from store.findings import Breakdown, Quote
from store.journeys import list_journeys
from store.models import BreakdownRow
from tools.units import format_count, format_money, format_segment, format_share, format_value

_SPARK_DAYS = 56


@dataclass
class Spark:
    metric: str
    label: str
    latest: str
    svg: Markup


@dataclass
class StageHealth:
    stage: str
    sparks: list[Spark] = field(default_factory=list)


@dataclass
class JourneyHealth:
    id: str
    name: str
    parent: str | None
    owner: str | None
    stages: list[StageHealth] = field(default_factory=list)
    breakdowns: list[BreakdownRow] = field(default_factory=list)


def daily_rates(frame: pd.DataFrame, metric: MetricDef) -> list[tuple[dt.date, float]]:
    """Return (day, metric value) pairs from a daily series frame (NaN where no data)."""
    num, den = f"{metric.name}__num", f"{metric.name}__den"
    if num not in frame.columns or frame.empty:
        return []
    days = frame.groupby("day")[[num, den]].sum()
    return [
        (day, float(row[num]) / float(row[den]) if float(row[den]) > 0 else math.nan)
        for day, row in days.iterrows()
    ]


def _supported(ctx: RunContext) -> list[MetricDef]:
    return [m for m in ctx.settings.metrics.values() if ctx.warehouse.supports(m)]


def overview(ctx: RunContext) -> tuple[list[JourneyHealth], dt.date | None]:
    """Return every journey and stage with a sparkline per metric, and the open breakdowns."""
    span = ctx.warehouse.date_range()
    metrics = _supported(ctx) if span else []
    frame = pd.DataFrame()
    if span and metrics:
        start = span[1] - dt.timedelta(days=_SPARK_DAYS - 1)
        frame = ctx.warehouse.daily_series(metrics=metrics, start=start, end=span[1])
    with ctx.sessions() as session:
        open_rows = latest_breakdowns(session)
        journeys = list_journeys(session)
    views: list[JourneyHealth] = []
    for j in journeys:
        view = JourneyHealth(j.id, j.name, j.parent_id, j.owner)
        view.breakdowns = [b for b in open_rows if b.journey == j.id]
        for stage in j.stages:
            part = (
                frame[(frame["journey"] == j.id) & (frame["stage"] == stage)]
                if len(frame)
                else frame
            )
            view.stages.append(StageHealth(stage, _sparks(part, metrics)))
        views.append(view)
    return views, span[1] if span else None


def _sparks(frame: pd.DataFrame, metrics: list[MetricDef]) -> list[Spark]:
    sparks = []
    for m in metrics:
        points = daily_rates(frame, m)
        values = [v for _, v in points]
        if sum(not math.isnan(v) for v in values) < 2:
            continue
        latest = next(v for v in reversed(values) if not math.isnan(v))
        label = f"{m.label}, last {len(values)} days"
        sparks.append(
            Spark(m.name, m.label, format_value(m, latest), sparkline(values, label=label))
        )
    return sparks


@dataclass
class CitedHypothesis:
    statement: str
    confidence: float
    facts: list[str]
    quotes: list[Quote]


@dataclass
class BreakdownView:
    row: BreakdownRow
    bd: Breakdown
    metric: MetricDef
    chart: Markup
    causes: list[dict[str, str]]
    hypotheses: list[CitedHypothesis]
    impact: str


def breakdown_view(ctx: RunContext, *, breakdown_id: str) -> BreakdownView | None:
    """Return one breakdown with its chart, causes, cited quotes and ranked fixes."""
    with ctx.sessions() as session:
        row = get_breakdown(session, breakdown_id=breakdown_id)
    if row is None:
        return None
    bd = Breakdown.model_validate(row.payload)
    metric = ctx.settings.metrics.get(bd.metric) or MetricDef(
        name=bd.metric,
        label=bd.metric,
        numerator="visits",
        denominator="visits",
        direction="higher",
        unit_value=0.0,
    )
    chart = _chart(ctx, bd, metric)
    by_id = {q.id: q for q in bd.quotes}
    hypotheses = [
        CitedHypothesis(
            h.statement,
            h.confidence,
            list(h.evidence.facts),
            [by_id[i] for i in h.evidence.insight_ids if i in by_id],
        )
        for h in bd.hypotheses
    ]
    causes = [
        {
            "segment": format_segment(c.segment),
            "kind": c.kind,
            "share": format_share(c.explained_share),
            "baseline": format_value(metric, c.baseline),
            "current": format_value(metric, c.current),
            "visits": format_count(c.visits),
            "note": c.note,
        }
        for c in bd.causes
    ]
    impact = format_money(bd.impact.per_week, bd.impact.currency)
    return BreakdownView(row, bd, metric, chart, causes, hypotheses, impact)


def _chart(ctx: RunContext, bd: Breakdown, metric: MetricDef) -> Markup:
    weeks = ctx.settings.detection.baseline_weeks
    start = bd.window.start - dt.timedelta(days=7 * weeks)
    if not ctx.warehouse.supports(metric):
        return Markup('<p class="muted">The warehouse has no data for this metric.</p>')
    frame = ctx.warehouse.daily_series(
        metrics=[metric], start=start, end=bd.window.end, journey=bd.journey, stage=bd.stage
    )
    points = daily_rates(frame, metric)
    before = [v for d, v in points if d < bd.window.start and not math.isnan(v)]
    spread = statistics.pstdev(before) if len(before) > 1 else 0.0
    band = (bd.baseline - 2 * spread, bd.baseline + 2 * spread)
    overlays = _segment_overlays(ctx, bd, metric, frame, start=start)
    title = (
        f"{metric.label} of {bd.journey} / {bd.stage}: daily values, baseline band "
        f"(±2 sd) and the breakdown window {bd.window.start} to {bd.window.end}"
    )
    if overlays:
        title += f", against the {overlays[0].label} and the rest of the stage"
    return breakdown_chart(
        points,
        baseline=bd.baseline,
        band=band,
        window=(bd.window.start, bd.window.end),
        fmt=lambda v: format_value(metric, v),
        title=title,
        overlays=overlays,
    )


def _segment_overlays(
    ctx: RunContext, bd: Breakdown, metric: MetricDef, stage: pd.DataFrame, *, start: dt.date
) -> list[Overlay]:
    """Return the top cause segment's daily values and the rest of the stage's, or none.

    Only a segment whose rate changed has them: no localized cause, a mix shift (the
    segment's rate held, its share moved) or a tracking gap keep the stage chart alone.
    """
    top = bd.causes[0] if bd.causes else None
    if top is None or top.kind != "rate_change" or not top.segment or stage.empty:
        return []
    if not set(top.segment) <= set(ctx.warehouse.dimensions()):
        return []
    segment = ctx.warehouse.daily_series(
        metrics=[metric],
        start=start,
        end=bd.window.end,
        journey=bd.journey,
        stage=bd.stage,
        segment=top.segment,
    )
    if segment.empty:
        return []
    sums = [f"{metric.name}__num", f"{metric.name}__den"]
    total = stage.groupby("day")[sums].sum()
    part = segment.groupby("day")[sums].sum().reindex(total.index, fill_value=0.0)
    rest = (total - part).reset_index()
    return [
        Overlay(
            "chart-segment",
            f"cause segment {format_segment(top.segment)}",
            daily_rates(segment, metric),
        ),
        Overlay("chart-rest", "rest of stage", daily_rates(rest, metric)),
    ]
