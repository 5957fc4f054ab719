"""Localize a developing incident on its recent window, and file it once it is confirmed.

The localizer is the scan's (tools.causes over leaf cells), run on the hours since the
onset against the same hours of the prior weeks. A confirmed incident becomes a
breakdown whose id derives from the incident's, so filing it again (next cycle, another
watcher) finds the same proposals (agent.actions.proposals is idempotent by id).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from scipy.stats import norm

from agent.actions.proposals import file_proposals
from agent.context import RunContext
from store.findings import Breakdown, Cause, Impact, Window
from store.gate.outcomes import track_record
from store.live.models import DevelopingIncidentRow
from store.warehouse.binned import binned_leaf_cells
from tools.causes import analyse_causes
from tools.impact import severity, weekly_impact
from tools.recommend import rank_fixes


def localize_incident(
    ctx: RunContext,
    *,
    journey: str,
    stage: str,
    metric: str,
    onset: dt.datetime,
    now: dt.datetime,
    dims: list[str],
) -> list[Cause]:
    """Return the localized causes of the change since `onset` (empty when unlocalized)."""
    weeks = ctx.settings.live.baseline_weeks
    if not dims or now <= onset:
        return []
    back = [dt.timedelta(weeks=w) for w in range(1, weeks + 1)]
    cells = binned_leaf_cells(
        ctx.warehouse,
        journey=journey,
        stage=stage,
        metric=ctx.settings.metrics[metric],
        dims=dims,
        periods={"current": [(onset, now)], "baseline": [(onset - b, now - b) for b in back]},
    )
    if cells.empty:
        return []
    return analyse_causes(
        cells,
        dims,
        metric=ctx.settings.metrics[metric],
        baseline_weeks=weeks,
        max_attributes=min(ctx.settings.localization.max_attributes, 2),
        max_elements=ctx.settings.localization.max_elements,
    )


def incident_breakdown(
    ctx: RunContext, row: DevelopingIncidentRow, *, now: dt.datetime, z: float
) -> Breakdown:
    """Return the breakdown a confirmed incident files, with its ranked fixes."""
    metric = ctx.settings.metrics[row.metric]
    hours = max((now - row.onset_at).total_seconds() / 3600, 1 / 60)
    unit = None
    if metric.unit_value_column:
        unit = ctx.warehouse.unit_value(
            journey=row.journey,
            stage=row.stage,
            column=metric.unit_value_column,
            start=row.onset_at.date(),
            end=now.date(),
        )
    # Money per week at the pace of the hours since the onset.
    per_week = weekly_impact(
        metric=metric,
        expected=row.baseline,
        current=row.current,
        den=row.visits * 24 / hours,
        window_days=1,
        unit_value=unit,
    )
    relative = (row.current - row.baseline) / row.baseline if row.baseline else 0.0
    key = hashlib.sha256(row.id.encode()).hexdigest()[:12]
    causes = [Cause.model_validate(c) for c in _causes(row)]
    bd = Breakdown(
        id=f"bd-{key}",
        journey=row.journey,
        stage=row.stage,
        metric=row.metric,
        window=Window(start=row.onset_at.date(), end=now.date()),
        baseline=row.baseline,
        current=row.current,
        p_value=float(norm.sf(z)) if math.isfinite(z) else 0.0,
        severity=severity(relative_change=relative, per_week=per_week),
        impact=Impact(currency=ctx.settings.money.currency, per_week=round(per_week, 2)),
        visits=row.visits,
        causes=causes,
    )
    with ctx.sessions() as session:
        record = track_record(session)
    fixes = rank_fixes(bd, ctx.settings.playbooks, track_record=record)
    return bd.model_copy(update={"recommendations": fixes})


def _causes(row: DevelopingIncidentRow) -> list[dict[str, object]]:
    causes = row.evidence.get("causes", [])
    return [c for c in causes if isinstance(c, dict)] if isinstance(causes, list) else []


def file_incident(
    ctx: RunContext, row: DevelopingIncidentRow, *, now: dt.datetime, z: float
) -> tuple[str, list[str]]:
    """File the confirmed incident's breakdown and proposals; return (breakdown id, actions)."""
    bd = incident_breakdown(ctx, row, now=now, z=z)
    filed = file_proposals(ctx, [bd], as_of=now.date())
    return bd.id, [*filed.proposed, *filed.existing]
