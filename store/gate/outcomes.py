"""Outcomes of dispatched actions and each playbook's track record.

An outcome is recorded once per action, with the numbers behind it, in the same
transaction as the action's move to `recovered` / `not_recovered` and its audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import append_event
from store.db import lock_writes
from store.models import ActionRow, OutboxRow, OutcomeRow
from store.states import ActionStatus, DeliveryStatus, Verdict

__all__ = ["Verdict", "awaiting_check", "record_outcome", "track_record"]

_CHECKER = "journeyops-outcome-check"


def awaiting_check(session: Session) -> list[tuple[ActionRow, dt.datetime]]:
    """Return dispatched actions without an outcome, with when they were delivered."""
    query = (
        select(ActionRow, OutboxRow.updated_at)
        .join(OutboxRow, OutboxRow.action_id == ActionRow.id)
        .outerjoin(OutcomeRow, OutcomeRow.action_id == ActionRow.id)
        .where(
            ActionRow.status == ActionStatus.DISPATCHED,
            OutboxRow.status == DeliveryStatus.DELIVERED,
            OutcomeRow.action_id.is_(None),
        )
        .order_by(ActionRow.id)
    )
    return [(action, delivered) for action, delivered in session.execute(query).tuples()]


def record_outcome(
    session: Session,
    *,
    action_id: str,
    verdict: Verdict,
    metric: str,
    window_start: dt.date,
    window_end: dt.date,
    numbers: Mapping[str, object],
    now: dt.datetime,
) -> bool:
    """Record an action's outcome unless one exists; return whether it was new."""
    if verdict not in ("recovered", "not_recovered"):
        raise ValueError(f"unknown verdict {verdict!r}")
    lock_writes(session)
    if session.get(OutcomeRow, action_id) is not None:
        return False
    action = session.get(ActionRow, action_id, populate_existing=True)
    if action is None:
        raise ValueError(f"no action {action_id!r}")
    session.add(
        OutcomeRow(
            action_id=action_id,
            playbook=action.playbook,
            verdict=verdict,
            metric=metric,
            window_start=window_start,
            window_end=window_end,
            numbers=dict(numbers),
            checked_at=now,
        )
    )
    action.status, action.updated_at = ActionStatus(verdict), now
    session.flush()
    append_event(
        session,
        actor=_CHECKER,
        kind=f"outcome.{verdict}",
        subject=action_id,
        data={
            "verdict": verdict,
            "metric": metric,
            "window": {"start": window_start.isoformat(), "end": window_end.isoformat()},
            **numbers,
        },
        now=now,
    )
    return True


def track_record(session: Session) -> dict[str, tuple[int, int]]:
    """Return each playbook's (recovered, checked) counts over every recorded outcome."""
    record: dict[str, tuple[int, int]] = {}
    for playbook, verdict in session.execute(select(OutcomeRow.playbook, OutcomeRow.verdict)):
        won, checked = record.get(playbook, (0, 0))
        record[playbook] = (won + (verdict == "recovered"), checked + 1)
    return record
