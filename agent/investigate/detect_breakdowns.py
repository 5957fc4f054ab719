"""Node: find the journey × stage × metric series that degraded in the window."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.state import InvestigationState, InvestigationUpdate
from store.catalog import MetricDef
from store.findings import Breakdown, Impact, Window, breakdown_id
from tools.detect import Detection, DetectionSettings, Periods, detect_segments, periods_for
from tools.detect import detect_breakdowns as run_detection
from tools.impact import severity, weekly_impact


def detection_params(ctx: RunContext) -> DetectionSettings:
    """Return the detection settings of the run as the detector's parameter model."""
    return DetectionSettings.model_validate(ctx.settings.detection.model_dump())


def run_periods(ctx: RunContext, state: InvestigationState) -> Periods:
    """Return the window and baseline days of this investigation."""
    assert state.as_of is not None, "detect_breakdowns sets as_of first"
    return periods_for(state.as_of, detection_params(ctx))


def newest_allowed_day(ctx: RunContext) -> dt.date:
    """Return the last day a default window may end on: today plus the future tolerance.

    Rows dated later (stray future timestamps) never move the default window.
    """
    latest = ctx.settings.inputs.latest_allowed(ctx.clock())
    return latest.date()


def detect_breakdowns(
    state: InvestigationState, runtime: Runtime[RunContext]
) -> InvestigationUpdate:
    """Test every series in scope and turn the flagged degradations into breakdowns."""
    ctx = runtime.context
    span = ctx.warehouse.date_range(until=newest_allowed_day(ctx))
    if span is None:
        return {
            "breakdowns": [],
            "notices": ["The warehouse holds no events yet: run `journeyops ingest events FILE`."],
        }
    as_of = state.as_of or span[1]
    params = detection_params(ctx)
    periods = periods_for(as_of, params)
    metrics = [m for m in ctx.settings.metrics.values() if state.metric in (None, m.name)]
    ctx.status(f"Testing every journey × stage × metric for the week to {as_of} …")
    start = min(periods.baseline, default=periods.start)
    segments = None
    if state.journey is None and state.stage is None:
        dims = [
            d for d in ctx.warehouse.dimensions() if d not in ctx.settings.warehouse.ignore_columns
        ]
        daily, segments = ctx.warehouse.stage_and_segment_series(
            metrics=metrics, dims=dims, start=start, end=as_of
        )
    else:
        daily = ctx.warehouse.daily_series(
            metrics=metrics, start=start, end=as_of, journey=state.journey, stage=state.stage
        )
    # Stage totals and large segments are two test families; each spends half the
    # false-discovery budget so adding segment tests does not loosen the scan's error rate.
    family = params.model_copy(update={"fdr": params.fdr / 2})
    detections = run_detection(daily, metrics, periods, family)
    flagged = [d for d in detections if d.flagged]
    if segments is not None:
        flagged += _segment_breakdowns(segments, detections, metrics, periods, family)
    # Every worker tests every series (one FDR family, one pooled dispersion, as one scan
    # would); each then keeps its shard's journeys for the per-breakdown work.
    if state.shard is not None:
        flagged = [d for d in flagged if state.shard.owns(d.journey)]
    measures = set(ctx.warehouse.measures())
    window = Window(start=periods.start, end=periods.end)
    found: list[Breakdown] = []
    for d in flagged:
        metric = ctx.settings.metrics[d.metric]
        unit_value = None
        if metric.unit_value_column and metric.unit_value_column in measures:
            unit_value = ctx.warehouse.unit_value(
                journey=d.journey,
                stage=d.stage,
                column=metric.unit_value_column,
                start=min(periods.baseline, default=periods.start),
                end=as_of,
            )
        per_week = weekly_impact(
            metric=metric,
            expected=d.expected,
            current=d.current,
            den=d.den,
            window_days=len(periods.window),
            unit_value=unit_value,
        )
        found.append(
            Breakdown(
                id=breakdown_id(d.journey, d.stage, d.metric, window),
                journey=d.journey,
                stage=d.stage,
                metric=d.metric,
                window=window,
                baseline=round(d.expected, 4),
                current=round(d.current, 4),
                p_value=float(f"{d.p_value:.3g}"),
                severity=severity(relative_change=d.relative_change, per_week=per_week),
                impact=Impact(currency=ctx.settings.money.currency, per_week=round(per_week, 2)),
                visits=d.visits,
            )
        )
    found.sort(key=lambda b: -b.impact.per_week)
    return {"as_of": as_of, "breakdowns": found, "series_tested": len(detections)}


def _segment_breakdowns(
    series: pd.DataFrame,
    detections: list[Detection],
    metrics: list[MetricDef],
    periods: Periods,
    params: DetectionSettings,
) -> list[Detection]:
    """Return stage-level results for stages whose total hid a broken large segment.

    The stage's own numbers are reported (the breakdown is of the stage), with the p-value
    of the segment test that found it; localization then names the segment.
    """
    by_key = {(d.journey, d.stage, d.metric): d for d in detections}
    out: dict[tuple[str, str, str], Detection] = {}
    for seg in detect_segments(series, metrics, periods, params):
        key = (seg.journey, seg.stage, seg.metric)
        stage = by_key.get(key)
        if stage is None or stage.flagged or not stage.degraded or key in out:
            continue
        out[key] = stage.model_copy(update={"p_value": seg.detection.p_value, "flagged": True})
    return list(out.values())
