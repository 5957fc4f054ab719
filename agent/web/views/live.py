"""What the health page shows of the live watch: open and recently closed incidents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from agent.context import RunContext
from store.catalog import MetricDef
from store.live.incidents import list_developing
from tools.units import format_segment, format_value

# Resolved incidents stay on the page this long, with their numbers.
_RECENT = dt.timedelta(hours=24)


@dataclass
class LiveIncident:
    id: str
    stage: str
    metric: str
    status: str
    segment: str
    onset: str
    baseline: str
    current: str
    visits: int
    lost: float
    alerted: bool
    breakdown_id: str | None
    resolved: str


def live_incidents(ctx: RunContext) -> dict[str, list[LiveIncident]]:
    """Return each journey's developing, confirmed and recently resolved incidents."""
    with ctx.sessions() as session:
        rows = list_developing(session, since=ctx.clock() - _RECENT)
    out: dict[str, list[LiveIncident]] = {}
    for r in rows:
        metric = ctx.settings.metrics.get(r.metric)
        out.setdefault(r.journey, []).append(
            LiveIncident(
                id=r.id,
                stage=r.stage,
                metric=metric.label if metric else r.metric,
                status=r.status,
                segment=format_segment(r.segment) if r.segment else "whole stage",
                onset=f"{r.onset_at:%Y-%m-%d %H:%M} UTC",
                baseline=_show(metric, r.baseline),
                current=_show(metric, r.current),
                visits=round(r.visits),
                lost=r.lost,
                alerted=r.alerted_at is not None,
                breakdown_id=r.breakdown_id,
                resolved=f"{r.resolved_at:%Y-%m-%d %H:%M} UTC" if r.resolved_at else "",
            )
        )
    return out


def _show(metric: MetricDef | None, value: float) -> str:
    return format_value(metric, value) if metric is not None else f"{value:.4g}"
