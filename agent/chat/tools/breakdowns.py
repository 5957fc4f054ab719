"""Breakdown tools: the scan's detector, its localized causes and its ranked fixes.

They run the same investigation graph as `journeyops scan` (through the session's cache),
so a breakdown named in chat is the breakdown a scan would file.
"""

from __future__ import annotations

import datetime as dt

from agent.chat.tools.metrics import PointsChange, change
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import ResultPart, ToolResult
from store.catalog import MetricDef
from store.findings import Breakdown, CauseKind, Effort, Severity, action_id
from store.gate.actions import get_action
from store.states import AWAITING_COUNCIL, ActionStatus
from tools.incidents import incident_key
from tools.units import format_money, format_p, format_segment, format_share, format_value


class Scope(ResultPart):
    journey: str | None
    stage: str | None
    metric: str | None


class BreakdownSummary(ResultPart):
    breakdown_id: str
    journey: str
    stage: str
    metric: str
    metric_label: str
    window: str
    expected: str
    current: str
    relative_change_pct: float | None
    change_points: PointsChange = None
    visits: int
    p_value: float
    significance: str = ""
    severity: Severity
    loss_per_week: str
    top_cause: str | None
    top_cause_kind: CauseKind | None


class Detection(ToolResult):
    """The breakdowns found in one window, within the asked scope."""

    as_of: dt.date
    scope: Scope
    breakdowns: list[BreakdownSummary]
    breakdowns_elsewhere: int


class CauseSummary(ResultPart):
    rank: int
    segment: str
    kind: CauseKind
    explained_share: str
    segment_before: str
    segment_now: str
    segment_visits: int
    note: str


class Causes(ToolResult):
    """The segments that explain one breakdown, classified."""

    breakdown_id: str
    causes: list[CauseSummary]
    no_localized_cause: bool


class Fix(ResultPart):
    rank: int
    playbook: str
    title: str
    value_per_week: str
    effort: Effort
    confidence: float
    filed_status: ActionStatus | None


class Recommendations(ToolResult):
    """The fixes of one breakdown, ranked by money recovered per week."""

    breakdown_id: str
    recommendations: list[Fix]


def detect_breakdowns(
    journey: str | None = None,
    stage: str | None = None,
    metric: str | None = None,
    as_of: dt.date | None = None,
    *,
    session: ToolSession,
) -> Detection:
    """Find degraded journey stage metrics in the window; return their breakdown ids.

    The detector is the scan's own, with the false-discovery rate controlled across
    every series tested.

    Args:
        journey: Only this journey.
        stage: Only this stage.
        metric: Only this metric.
        as_of: Last day of the window (default: newest).
    """
    session.check_place(journey, stage)
    if metric is not None:
        session.metric(metric)
    day = session.day(as_of)
    result = session.scan(day)
    hits = [
        bd
        for bd in result.breakdowns
        if journey in (None, bd.journey)
        and stage in (None, bd.stage)
        and metric in (None, bd.metric)
    ]
    metrics = session.ctx.settings.metrics
    return Detection(
        as_of=day,
        scope=Scope(journey=journey, stage=stage, metric=metric),
        breakdowns=[_summary(bd, metrics[bd.metric]) for bd in hits],
        breakdowns_elsewhere=len(result.breakdowns) - len(hits),
    )


def localize(breakdown_id: str, *, session: ToolSession) -> Causes:
    """Return the root-cause segments of a breakdown with the numbers behind each.

    Args:
        breakdown_id: An id returned by detect_breakdowns.
    """
    bd, _ = session.breakdown(breakdown_id)
    metric = session.ctx.settings.metrics[bd.metric]
    return Causes(
        breakdown_id=bd.id,
        causes=[
            CauseSummary(
                rank=i,
                segment=format_segment(c.segment),
                kind=c.kind,
                explained_share=format_share(c.explained_share),
                segment_before=format_value(metric, c.baseline),
                segment_now=format_value(metric, c.current),
                segment_visits=round(c.visits),
                note=c.note,
            )
            for i, c in enumerate(bd.causes, start=1)
        ],
        no_localized_cause=not bd.causes,
    )


def still_open(filed: ActionStatus | None) -> bool:
    """Return whether a fix may still be proposed: not filed, or waiting for the council."""
    return filed is None or filed in AWAITING_COUNCIL


def recommend_fixes(breakdown_id: str, *, session: ToolSession) -> Recommendations:
    """Return the fixes for a breakdown ranked by money impact, with their filing status.

    Args:
        breakdown_id: An id returned by detect_breakdowns.
    """
    bd, _ = session.breakdown(breakdown_id)
    with session.ctx.sessions() as db:
        status = {
            rec.playbook: (row.status if row else None)
            for rec in bd.recommendations
            for row in [get_action(db, action_id=action_id(incident_key(bd), rec.playbook))]
        }
    return Recommendations(
        breakdown_id=bd.id,
        recommendations=[
            Fix(
                rank=r.rank,
                playbook=r.playbook,
                title=r.title,
                value_per_week=format_money(r.expected_value_per_week, bd.impact.currency),
                effort=r.effort,
                confidence=r.confidence,
                filed_status=status.get(r.playbook),
            )
            for r in bd.recommendations
        ],
    )


def _summary(bd: Breakdown, metric: MetricDef) -> BreakdownSummary:
    top = bd.causes[0] if bd.causes else None
    relative, points = change(metric, bd.baseline, bd.current)
    return BreakdownSummary(
        breakdown_id=bd.id,
        journey=bd.journey,
        stage=bd.stage,
        metric=bd.metric,
        metric_label=metric.label,
        window=f"{bd.window.start}..{bd.window.end}",
        expected=format_value(metric, bd.baseline),
        current=format_value(metric, bd.current),
        relative_change_pct=relative,
        change_points=points,
        visits=round(bd.visits),
        p_value=bd.p_value,
        significance=format_p(bd.p_value),
        severity=bd.severity,
        loss_per_week=format_money(bd.impact.per_week, bd.impact.currency),
        top_cause=format_segment(top.segment) if top else None,
        top_cause_kind=top.kind if top else None,
    )
