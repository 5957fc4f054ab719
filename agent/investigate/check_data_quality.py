"""Find tracking gaps in the scanned window: the data-quality monitor of every scan.

Reads volumes, measure presence and impossible values from the same segment series the
detector uses (with probe metrics), the funnel's orphan rows, and rows dated after now;
`tools.data_quality` judges them; findings on the same journey and segment become one
`tracking_gap` incident (no money figure, never a funding case).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from agent.context import RunContext
from agent.investigate.detect_breakdowns import detection_params, newest_allowed_day
from store.findings import Incident, Window, incident_id
from store.warehouse.quality import funnel_orphans
from tools.data_quality import (
    Finding,
    check_funnel,
    check_impossible,
    check_measures,
    check_volumes,
    probe_metrics,
)
from tools.detect import periods_for


def check_data_quality(
    ctx: RunContext, *, as_of: dt.date, journey: str | None = None, stage: str | None = None
) -> list[Incident]:
    """Return the tracking-gap incidents of the window ending `as_of` (in scope)."""
    settings = ctx.settings.data_quality
    if not settings.enabled:
        return []
    periods = periods_for(as_of, detection_params(ctx))
    start = min(periods.baseline, default=periods.start)
    dims = [d for d in ctx.warehouse.dimensions() if d not in ctx.settings.warehouse.ignore_columns]
    probes = probe_metrics(ctx.warehouse.measures(), ctx.settings.inputs.ranges())
    totals, segments = ctx.warehouse.stage_and_segment_series(
        metrics=probes, dims=dims, start=start, end=as_of
    )
    frame = pd.concat([totals.assign(dim="", value=""), segments], ignore_index=True)
    funnels = ctx.warehouse.journeys()
    pairs = [
        (j, stages[i], stages[i - 1])
        for j, stages in funnels.items()
        for i in range(1, len(stages))
        if journey in (None, j)
    ]
    orphans = funnel_orphans(ctx.warehouse, pairs=pairs, dims=dims, start=start, end=as_of)
    found = [
        *check_volumes(frame, periods, settings),
        *check_measures(frame, periods, settings),
        *check_impossible(frame, periods),
        *check_funnel(orphans, periods, settings),
        *_future_rows(ctx),
    ]
    found = [f for f in found if journey in (None, f.journey) and stage in (None, f.stage)]
    window = Window(start=periods.start, end=periods.end)
    return incidents(found, window=window, currency=ctx.settings.money.currency, order=funnels)


def _future_rows(ctx: RunContext) -> list[Finding]:
    """Return stages holding rows dated after today plus the tolerance."""
    span = ctx.warehouse.date_range()
    latest = newest_allowed_day(ctx)
    if span is None or span[1] <= latest:
        return []
    later = ctx.warehouse.daily_series(metrics=[], start=latest + dt.timedelta(days=1), end=span[1])
    days: dict[tuple[str, str], list[dt.date]] = {}
    for row in later.itertuples():
        days.setdefault((str(row.journey), str(row.stage)), []).append(row.day)
    return [
        Finding(
            journey=j,
            stage=s,
            segment={},
            check="impossible",
            days=sorted(d),
            note=f"{len(d)} day(s) of rows dated after {latest} (in the future)",
        )
        for (j, s), d in days.items()
    ]


def incidents(
    findings: list[Finding], *, window: Window, currency: str, order: dict[str, list[str]]
) -> list[Incident]:
    """Group findings on the same journey and segment into `tracking_gap` incidents."""
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.journey, tuple(sorted(f.segment.items()))), []).append(f)
    out = []
    for (journey, seg), group in groups.items():
        segment = dict(seg)
        funnel = order.get(journey, [])
        stages = sorted(
            {f.stage for f in group}, key=lambda st: (funnel.index(st) if st in funnel else -1, st)
        )
        days = sorted({d for f in group for d in f.days})
        checks = sorted({f.check for f in group})
        where = ", ".join(f"{k}={v}" for k, v in segment.items()) or "all traffic"
        notes = "; ".join(sorted({f"{f.stage}: {f.note}" for f in group}))
        out.append(
            Incident(
                id=incident_id(journey, "tracking_gap", segment, window),
                kind="tracking_gap",
                journey=journey,
                stages=stages,
                metrics=checks,
                segment=segment,
                window=window,
                money_at_stake_per_week=None,
                currency=currency,
                verdict="confirmed" if len(checks) > 1 else "likely",
                days_affected=days,
                summary=f"Tracking gap in {journey} ({where}) on {len(days)} day(s): {notes}. "
                "Fix the data pipeline, not the journey.",
            )
        )
    return sorted(out, key=lambda i: (i.journey, -len(i.days_affected), i.id))
