"""Redrive: a council member re-queues a dead-lettered action for delivery, with a reason."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from store.audit import append_event
from store.db import lock_writes
from store.gate.outbox import latest_outbox, set_action_status
from store.gate.quorum import governing_council
from store.models import ActionRow, OutboxRow
from store.states import ActionStatus, DeliveryStatus


class RedriveRefused(Exception):
    """A redrive that is not allowed; the message says why."""


def redrive(
    session: Session, *, action_id: str, user: str, reason: str, now: dt.datetime
) -> OutboxRow:
    """Re-queue a dead-lettered action for delivery, as a council member with a reason."""
    lock_writes(session)
    action = session.get(ActionRow, action_id, populate_existing=True)
    if action is None:
        raise RedriveRefused(f"no action {action_id!r}")
    if action.status != ActionStatus.DEAD_LETTERED:
        raise RedriveRefused(f"action {action_id} is {action.status}, not dead_lettered")
    if not reason.strip():
        raise RedriveRefused("a redrive needs a reason")
    if user not in governing_council(session, action=action).deciders():
        raise RedriveRefused(f"{user} has no decision right on journey {action.journey_id}")
    row = latest_outbox(session, action_id=action_id)
    if row is None or row.status != DeliveryStatus.DEAD:
        raise RedriveRefused(f"action {action_id} has no dead-lettered delivery")
    row.status, row.runs, row.next_attempt_at, row.updated_at = DeliveryStatus.PENDING, 0, now, now
    row.claimed_by, row.lease_until = None, None
    set_action_status(session, action_id=action_id, status=ActionStatus.APPROVED, now=now)
    session.flush()
    append_event(
        session,
        actor=user,
        kind="dispatch.redriven",
        subject=action_id,
        data={"reason": reason.strip(), "target": row.target, "last_error": row.last_error},
        now=now,
    )
    return row
