"""`journeyops report weekly`: per journey, what broke, was decided, dispatched, recovered.

The week is the seven days ending on `as_of` (default: today), by when things happened in
the store: breakdowns recorded by scans (or whose window ended that week), decisions,
deliveries and outcome checks. For
the most valuable open proposal of a journey the report adds a one-page funding case;
every number in it comes from the store or the playbook catalog, none is estimated here.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.context import RunContext
from store.findings import Breakdown
from store.gate.actions import list_actions
from store.gate.outcomes import track_record
from store.journeys import list_journeys
from store.models import ActionRow, BreakdownRow, DecisionRow, OutboxRow, OutcomeRow
from store.states import ActionStatus
from tools.units import format_money, format_segment

# A quarter: the horizon over which a fix's weekly value is counted against its cost.
HORIZON_WEEKS = 13


class FundingCase(BaseModel):
    """The case for funding one fix: money at stake, cost, expected return, evidence."""

    action_id: str
    title: str
    playbook: str
    currency: str
    at_stake_per_week: float
    cost: float
    expected_value_per_week: float
    horizon_weeks: int = HORIZON_WEEKS
    expected_return: float
    net_return: float
    roi: float | None
    payback_weeks: float | None
    effort: str
    track_record: tuple[int, int]
    hypothesis: str
    causes: list[str]
    quotes: list[tuple[str, str]]


class JourneyWeek(BaseModel):
    """One journey's week."""

    journey: str
    name: str
    week_start: dt.date
    as_of: dt.date
    broke: list[str] = []
    decided: list[str] = []
    dispatched: list[str] = []
    recovered: list[str] = []
    next: list[str] = []
    funding: FundingCase | None = None


def _in_week(ts: dt.datetime, start: dt.date, end: dt.date) -> bool:
    return start <= ts.astimezone(dt.UTC).date() <= end


def build_weekly(ctx: RunContext, *, as_of: dt.date | None = None) -> list[JourneyWeek]:
    """Return every journey's week ending on `as_of` (default: today, by the run clock)."""
    end = as_of or ctx.clock().date()
    start = end - dt.timedelta(days=6)
    weeks = []
    with ctx.sessions() as session:
        record = track_record(session)
        for j in list_journeys(session):
            week = JourneyWeek(journey=j.id, name=j.name, week_start=start, as_of=end)
            _fill(session, ctx, week, record)
            weeks.append(week)
    return weeks


def _fill(
    session: Session, ctx: RunContext, week: JourneyWeek, record: dict[str, tuple[int, int]]
) -> None:
    start, end, cur = week.week_start, week.as_of, ctx.settings.money.currency
    for b in session.execute(
        select(BreakdownRow).where(BreakdownRow.journey == week.journey).order_by(BreakdownRow.id)
    ).scalars():
        # Recorded by a scan this week, or a window that ended this week (a review of past data).
        if _in_week(b.created_at, start, end) or start <= b.window_end <= end:
            week.broke.append(
                f"{b.stage} · {b.metric}: {b.baseline:.4g} → {b.current:.4g} "
                f"({b.severity}, {format_money(b.impact_per_week, b.currency)} / week at stake)"
            )
    rows = session.execute(
        select(DecisionRow, ActionRow)
        .join(ActionRow, ActionRow.id == DecisionRow.action_id)
        .where(ActionRow.journey_id == week.journey)
        .order_by(DecisionRow.id)
    ).tuples()
    for d, a in rows:
        if _in_week(d.decided_at, start, end):
            week.decided.append(f"{d.user_name} {d.decision}d {a.id} ({a.title}): {d.reason}")
    deliveries = session.execute(
        select(OutboxRow, ActionRow)
        .join(ActionRow, ActionRow.id == OutboxRow.action_id)
        .where(ActionRow.journey_id == week.journey)
        .order_by(OutboxRow.id)
    ).tuples()
    for o, a in deliveries:
        if o.status != "pending" and _in_week(o.updated_at, start, end):
            week.dispatched.append(f"{a.id} ({a.title}) to {o.target}: {o.status}")
    outcomes = session.execute(
        select(OutcomeRow, ActionRow)
        .join(ActionRow, ActionRow.id == OutcomeRow.action_id)
        .where(ActionRow.journey_id == week.journey)
    ).tuples()
    for out, a in outcomes:
        if _in_week(out.checked_at, start, end):
            share = out.numbers.get("recovered_share")
            week.recovered.append(f"{a.id} ({a.title}): {out.verdict}, recovered share {share}")
    open_actions = list_actions(session, status=ActionStatus.PROPOSED, journey_id=week.journey)
    week.next = [
        f"{a.id}: {a.title} ({format_money(a.expected_value_per_week, cur)} / week)"
        for a in open_actions[:5]
    ]
    if open_actions:
        week.funding = funding_case(session, ctx, open_actions[0], record)


def funding_case(
    session: Session, ctx: RunContext, action: ActionRow, record: dict[str, tuple[int, int]]
) -> FundingCase:
    """Return the funding case for one proposed action."""
    playbook = ctx.settings.playbooks.get(action.playbook)
    cost = playbook.cost if playbook else 0.0
    bd_row = session.get(BreakdownRow, action.breakdown_id) if action.breakdown_id else None
    bd = Breakdown.model_validate(bd_row.payload) if bd_row else None
    value = action.expected_value_per_week
    expected = value * HORIZON_WEEKS
    by_id = {q.id: q for q in bd.quotes} if bd else {}
    cited = bd.hypotheses[0].evidence.insight_ids if bd and bd.hypotheses else []
    return FundingCase(
        action_id=action.id,
        title=action.title,
        playbook=action.playbook,
        currency=bd.impact.currency if bd else ctx.settings.money.currency,
        at_stake_per_week=bd.impact.per_week if bd else 0.0,
        cost=cost,
        expected_value_per_week=value,
        expected_return=expected,
        net_return=expected - cost,
        roi=(expected - cost) / cost if cost > 0 else None,
        payback_weeks=cost / value if value > 0 else None,
        effort=playbook.effort if playbook else "?",
        track_record=record.get(action.playbook, (0, 0)),
        hypothesis=bd.hypotheses[0].statement if bd and bd.hypotheses else "",
        causes=[
            f"{format_segment(c.segment)} ({c.kind}, explains {c.explained_share:.0%})"
            for c in (bd.causes if bd else [])
        ],
        quotes=[(i, by_id[i].text) for i in cited if i in by_id][:3],
    )


def payback_text(weeks: float | None) -> str:
    """Return how long a fix takes to pay for itself, in days under a week."""
    if weeks is None:
        return "n/a"
    return f"{weeks * 7:.1f} days" if weeks < 1 else f"{weeks:.1f} weeks"
