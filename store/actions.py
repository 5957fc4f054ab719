"""Breakdowns, proposed actions and council decisions: the governance store's public surface.

Proposals are idempotent by id and carry the sha256 of the exact payload a workflow will
receive; decisions (rules in `store._gate`) are append-only and bound to that hash. Every
proposal, decision and expiry is also written to the hash-chained audit log in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from store._gate import (
    Decision,
    DecisionOutcome,
    DecisionRefused,
    approval_problem,
    decide,
    expire_overdue,
    payload_hash,
)
from store.audit import append_event
from store.db import lock_writes
from store.models import ActionRow, BreakdownRow, DecisionRow
from tools.findings import Breakdown

__all__ = [
    "Decision",
    "DecisionOutcome",
    "DecisionRefused",
    "approval_problem",
    "decide",
    "decisions_for",
    "expire_overdue",
    "get_action",
    "list_actions",
    "payload_hash",
    "propose_action",
    "save_breakdown",
]


def save_breakdown(
    session: Session, *, breakdown: Breakdown, as_of: dt.date, now: dt.datetime | None = None
) -> bool:
    """Insert a breakdown unless its id exists; return whether it was new."""
    lock_writes(session)
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
    """File a proposal (idempotent by id); return the row and whether it was created.

    An existing id returns the stored row untouched, whatever the new arguments say.
    """
    lock_writes(session)
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
