"""Breakdowns, proposed actions and council decisions (append-only), with the gate's rules.

The status of an action only moves through conditional updates (`WHERE status =
'proposed'`), so concurrent deciders cannot both move it; every proposal and decision is
also written to the hash-chained audit log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal, cast

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from store.audit import append_event
from store.journeys import council_for
from store.models import ActionRow, BreakdownRow, DecisionRow
from tools.findings import Breakdown

Decision = Literal["approve", "reject"]


class DecisionRefused(Exception):
    """A decision that the gate does not accept; nothing was written."""


class DecisionOutcome(BaseModel):
    action_id: str
    status: str
    approvals: int
    quorum: int


def payload_hash(payload: Mapping[str, object]) -> str:
    """Return the sha256 of the canonical JSON of a payload (what approvals bind to)."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def save_breakdown(
    session: Session, *, breakdown: Breakdown, as_of: dt.date, now: dt.datetime | None = None
) -> bool:
    """Insert a breakdown unless its id exists; return whether it was new."""
    if session.get(BreakdownRow, breakdown.id) is not None:
        return False
    session.add(
        BreakdownRow(
            id=breakdown.id,
            journey=breakdown.journey,
            stage=breakdown.stage,
            metric=breakdown.metric,
            window_start=breakdown.window.start,
            window_end=breakdown.window.end,
            as_of=as_of,
            baseline=breakdown.baseline,
            current=breakdown.current,
            p_value=breakdown.p_value,
            severity=breakdown.severity,
            impact_per_week=breakdown.impact.per_week,
            currency=breakdown.impact.currency,
            payload=json.loads(breakdown.model_dump_json()),
            created_at=now or dt.datetime.now(dt.UTC),
        )
    )
    session.flush()
    return True


def propose_action(
    session: Session,
    *,
    action_id: str,
    breakdown_id: str | None,
    journey_id: str,
    playbook: str,
    title: str,
    workflow: str,
    payload: Mapping[str, object],
    expected_value_per_week: float,
    proposed_by: str,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> tuple[ActionRow, bool]:
    """File a proposal (idempotent by id); return the row and whether it was created."""
    existing = session.get(ActionRow, action_id)
    if existing is not None:
        return existing, False
    clean = json.loads(json.dumps(dict(payload), default=str))
    row = ActionRow(
        id=action_id,
        version=1,
        breakdown_id=breakdown_id,
        journey_id=journey_id,
        playbook=playbook,
        title=title,
        status="proposed",
        workflow=workflow,
        payload=clean,
        payload_sha256=payload_hash(clean),
        expected_value_per_week=expected_value_per_week,
        proposed_by=proposed_by,
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        actor=proposed_by,
        kind="action.proposed",
        subject=action_id,
        data={
            "journey": journey_id,
            "playbook": playbook,
            "workflow": workflow,
            "payload_sha256": row.payload_sha256,
            "breakdown_id": breakdown_id,
        },
        now=now,
    )
    return row, True


def list_actions(
    session: Session, *, status: str | None = None, journey_id: str | None = None
) -> list[ActionRow]:
    """Return actions, most valuable first."""
    query = select(ActionRow)
    if status is not None:
        query = query.where(ActionRow.status == status)
    if journey_id is not None:
        query = query.where(ActionRow.journey_id == journey_id)
    query = query.order_by(ActionRow.expected_value_per_week.desc(), ActionRow.id)
    return list(session.execute(query).scalars())


def get_action(session: Session, *, action_id: str) -> ActionRow | None:
    """Return one action or None."""
    return session.get(ActionRow, action_id)


def decisions_for(session: Session, *, action_id: str) -> list[DecisionRow]:
    """Return every decision recorded on an action, oldest first."""
    query = select(DecisionRow).where(DecisionRow.action_id == action_id).order_by(DecisionRow.id)
    return list(session.execute(query).scalars())


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

    Raises DecisionRefused (and writes nothing) when the gate's rules do not allow it.
    """
    action = session.execute(
        select(ActionRow).where(ActionRow.id == action_id).with_for_update()
    ).scalar_one_or_none()
    if action is None:
        raise DecisionRefused(f"no action {action_id!r}")
    if action.status != "proposed":
        raise DecisionRefused(f"action {action_id} is {action.status}, not awaiting a decision")
    if now > action.expires_at:
        raise DecisionRefused(
            f"action {action_id} expired at {action.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    if not reason.strip():
        raise DecisionRefused("a decision needs a reason")
    council = council_for(session, journey_id=action.journey_id)
    member = next((m for m in council.members if m.user == user), None)
    if member is None:
        raise DecisionRefused(
            f"{user} is not a member of the council of journey {action.journey_id}"
        )
    if member.revoked:
        raise DecisionRefused(
            f"{user}'s membership of the council of {action.journey_id} was revoked"
        )
    if not member.can_decide:
        raise DecisionRefused(
            f"{user} is a {member.role} and has no decision right on {action.journey_id}"
        )
    if decision == "approve" and user == action.proposed_by:
        raise DecisionRefused(f"{user} proposed {action_id} and cannot approve it")
    earlier = [
        d for d in decisions_for(session, action_id=action_id) if d.action_version == action.version
    ]
    if any(d.user_name == user for d in earlier):
        raise DecisionRefused(f"{user} already decided on {action_id} v{action.version}")
    session.add(
        DecisionRow(
            action_id=action_id,
            action_version=action.version,
            payload_sha256=action.payload_sha256,
            user_name=user,
            decision=decision,
            reason=reason.strip(),
            decided_at=now,
        )
    )
    session.flush()
    quorum = council.quorum_for(action.playbook)
    deciders = council.deciders()
    current = [
        d for d in decisions_for(session, action_id=action_id) if d.action_version == action.version
    ]
    approvers = {
        d.user_name
        for d in current
        if d.decision == "approve"
        and d.payload_sha256 == action.payload_sha256
        and d.user_name in deciders
        and d.user_name != action.proposed_by
    }
    status = (
        "rejected"
        if decision == "reject"
        else ("approved" if len(approvers) >= quorum else "proposed")
    )
    if status != "proposed":
        result = session.execute(
            update(ActionRow)
            .where(
                ActionRow.id == action_id,
                ActionRow.status == "proposed",
                ActionRow.version == action.version,
            )
            .values(status=status, updated_at=now)
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            raise DecisionRefused(f"action {action_id} was decided concurrently; nothing recorded")
    append_event(
        session,
        actor=user,
        kind=f"decision.{decision}",
        subject=action_id,
        data={
            "reason": reason.strip(),
            "version": action.version,
            "payload_sha256": action.payload_sha256,
            "status": status,
            "approvals": len(approvers),
            "quorum": quorum,
        },
        now=now,
    )
    return DecisionOutcome(
        action_id=action_id, status=status, approvals=len(approvers), quorum=quorum
    )
