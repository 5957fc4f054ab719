"""What happened to each journey between two days: breakdowns, decisions, deliveries, outcomes.

The weekly journey review reads it. Days are UTC calendar days, both ends included; a
breakdown belongs to the period when a scan recorded it then or its window ended then.
Every journey's activity comes in four queries, however many journeys there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.models import ActionRow, BreakdownRow, DecisionRow, OutboxRow, OutcomeRow
from store.states import DeliveryStatus

__all__ = ["JourneyActivity", "activity_between"]


@dataclass
class JourneyActivity:
    """One journey's period; each list is in the order things were recorded."""

    broke: list[BreakdownRow] = field(default_factory=list)
    decided: list[tuple[DecisionRow, ActionRow]] = field(default_factory=list)
    dispatched: list[tuple[OutboxRow, ActionRow]] = field(default_factory=list)
    checked: list[tuple[OutcomeRow, ActionRow]] = field(default_factory=list)


def activity_between(
    session: Session, *, start: dt.date, end: dt.date
) -> dict[str, JourneyActivity]:
    """Return each journey's activity from `start` to `end`; journeys with none are absent."""
    since = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    found: dict[str, JourneyActivity] = {}

    def of(journey: str) -> JourneyActivity:
        return found.setdefault(journey, JourneyActivity())

    breakdowns = select(BreakdownRow).where(
        or_(
            (BreakdownRow.created_at >= since) & (BreakdownRow.created_at < until),
            BreakdownRow.window_end.between(start, end),
        )
    )
    for b in session.execute(breakdowns.order_by(BreakdownRow.id)).scalars():
        of(b.journey).broke.append(b)
    decisions = (
        select(DecisionRow, ActionRow)
        .join(ActionRow, ActionRow.id == DecisionRow.action_id)
        .where(DecisionRow.decided_at >= since, DecisionRow.decided_at < until)
        .order_by(DecisionRow.id)
    )
    for d, a in session.execute(decisions).tuples():
        of(a.journey_id).decided.append((d, a))
    deliveries = (
        select(OutboxRow, ActionRow)
        .join(ActionRow, ActionRow.id == OutboxRow.action_id)
        .where(
            OutboxRow.status != DeliveryStatus.PENDING,
            OutboxRow.updated_at >= since,
            OutboxRow.updated_at < until,
        )
        .order_by(OutboxRow.id)
    )
    for o, a in session.execute(deliveries).tuples():
        of(a.journey_id).dispatched.append((o, a))
    outcomes = (
        select(OutcomeRow, ActionRow)
        .join(ActionRow, ActionRow.id == OutcomeRow.action_id)
        .where(OutcomeRow.checked_at >= since, OutcomeRow.checked_at < until)
        .order_by(OutcomeRow.action_id)
    )
    for out, a in session.execute(outcomes).tuples():
        of(a.journey_id).checked.append((out, a))
    return found
