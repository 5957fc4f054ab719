"""The approval gate's writes: a decision, expiry of overdue proposals, the re-check to send.

Who may decide and which approvals count is `store.gate.quorum`'s one rule; this module
applies it. Every check runs before anything is written, under the
store's writer lock (and, on PostgreSQL, a row lock on the action), and the status only
moves through a conditional UPDATE, so concurrent deciders neither both move an action nor
miss each other's approvals. The one write before a refusal: deciding on an overdue action
moves it to `expired` first, which stands only if the caller commits; `expire_overdue` does
the same for every overdue action. The decision that meets quorum also writes the
action's outbox row in its transaction, and `approval_problem` is the re-check the
dispatcher runs right before sending.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from store.audit import append_event
from store.db import lock_writes
from store.gate.evidence import QUEUED
from store.gate.quorum import progress_for
from store.models import ActionRow, DecisionRow, OutboxRow
from store.states import ActionStatus, Decision, DeliveryStatus

# The actor of the audit event that vouches for each outbox row (`evidence.QUEUED`).
GATE = "journeyops-gate"


def payload_hash(payload: Mapping[str, object]) -> str:
    """Return the sha256 of the canonical JSON of a payload (what approvals bind to)."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class DecisionRefused(Exception):
    """A decision that the gate does not accept; the message says why, for the user."""


class DecisionOutcome(BaseModel):
    """The recorded decision's effect: the action's status and the quorum progress."""

    action_id: str
    status: ActionStatus
    approvals: int
    quorum: int


def decide(
    session: Session,
    *,
    action_id: str,
    user: str,
    decision: Decision,
    reason: str,
    now: dt.datetime,
) -> DecisionOutcome:
    """Record a council member's decision and move the action when quorum is met.

    Raises DecisionRefused when the gate's rules do not allow the decision.
    """
    lock_writes(session)
    # populate_existing: a row this session loaded earlier may be stale by now.
    query = select(ActionRow).where(ActionRow.id == action_id).with_for_update()
    action = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if action is None:
        raise DecisionRefused(f"no action {action_id!r}")
    if action.status == ActionStatus.PROPOSED and now > action.expires_at:
        _move(session, action=action, status=ActionStatus.EXPIRED, actor=user, now=now)
        raise DecisionRefused(
            f"action {action_id} expired at {action.expires_at:%Y-%m-%d %H:%M} UTC; "
            "propose it again if it still matters"
        )
    progress = progress_for(session, action=action)
    problem = progress.status_problem()
    if problem is not None:
        raise DecisionRefused(problem)
    if not reason.strip():
        raise DecisionRefused("a decision needs a reason")
    problem = progress.rights_problem(user, decision)
    if problem is not None:
        raise DecisionRefused(problem)
    approvers = set(progress.approvers) | ({user} if decision == "approve" else set())
    quorum = progress.quorum
    status = ActionStatus.REJECTED if decision == "reject" else ActionStatus.PROPOSED
    if decision == "approve" and len(approvers) >= quorum:
        status = ActionStatus.APPROVED
    if status != ActionStatus.PROPOSED:
        _move(session, action=action, status=status, actor=user, now=now, audit=False)
    row = DecisionRow(
        action_id=action_id,
        action_version=action.version,
        payload_sha256=action.payload_sha256,
        user_name=user,
        decision=decision,
        reason=reason.strip(),
        decided_at=now,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        actor=user,
        kind=f"decision.{decision}",
        subject=action_id,
        data={
            "decision_id": row.id,
            "reason": row.reason,
            "version": action.version,
            "payload_sha256": action.payload_sha256,
            "status": status,
            "approvals": len(approvers),
            "quorum": quorum,
        },
        now=now,
    )
    if status == ActionStatus.APPROVED:
        # Same transaction as the approving decision: no approval without its outbox row.
        _queue(session, action=action, now=now)
    return DecisionOutcome(
        action_id=action_id, status=status, approvals=len(approvers), quorum=quorum
    )


def _queue(session: Session, *, action: ActionRow, now: dt.datetime) -> None:
    """Write the outbox row of an approved action and the audit event that vouches for it."""
    row = OutboxRow(
        action_id=action.id,
        action_version=action.version,
        payload_sha256=action.payload_sha256,
        target=action.workflow,
        status=DeliveryStatus.PENDING,
        runs=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        actor=GATE,
        kind=QUEUED,
        subject=action.id,
        data={
            "outbox_id": row.id,
            "version": action.version,
            "payload_sha256": action.payload_sha256,
            "target": action.workflow,
        },
        now=now,
    )


def expire_overdue(session: Session, *, now: dt.datetime, actor: str = "journeyops") -> list[str]:
    """Move every proposed action past its expiry to `expired`; return their ids."""
    lock_writes(session)
    query = select(ActionRow).where(
        ActionRow.status == ActionStatus.PROPOSED, ActionRow.expires_at < now
    )
    overdue = list(session.execute(query.order_by(ActionRow.id)).scalars())
    for action in overdue:
        _move(session, action=action, status=ActionStatus.EXPIRED, actor=actor, now=now)
    return [a.id for a in overdue]


def approval_problem(
    session: Session, *, action: ActionRow, version: int, payload_sha256: str
) -> str | None:
    """Return why an approval no longer allows sending `payload_sha256`, or None if it does.

    The dispatcher calls this right before any side effect: the action must still be
    approved at the same version, its stored payload must still hash to the approved hash,
    and enough distinct approvals bound to that hash must exist, given by members who
    still have a decision right (a revoked member's approval stops counting).
    """
    if action.status != ActionStatus.APPROVED:
        return f"action {action.id} is {action.status}, not approved"
    if action.version != version:
        return f"action {action.id} is at v{action.version}; v{version} was approved"
    if payload_hash(action.payload) != payload_sha256 or action.payload_sha256 != payload_sha256:
        return f"payload of {action.id} changed after approval; it needs a new approval"
    progress = progress_for(session, action=action)
    if not progress.met:
        return (
            f"{action.id} has {progress.approvals} approvals bound to its payload; "
            f"{progress.quorum} needed"
        )
    return None


def _move(
    session: Session,
    *,
    action: ActionRow,
    status: ActionStatus,
    actor: str,
    now: dt.datetime,
    audit: bool = True,
) -> None:
    """Move a proposed action to `status`, refusing if someone else moved it first."""
    result = session.execute(
        update(ActionRow)
        .where(
            ActionRow.id == action.id,
            ActionRow.status == ActionStatus.PROPOSED,
            ActionRow.version == action.version,
        )
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", result).rowcount != 1:
        raise DecisionRefused(f"action {action.id} was decided concurrently; nothing recorded")
    session.refresh(action)
    if audit:
        append_event(
            session,
            actor=actor,
            kind=f"action.{status}",
            subject=action.id,
            data={"version": action.version, "expires_at": action.expires_at.isoformat()},
            now=now,
        )
