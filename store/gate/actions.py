"""Proposed actions and council decisions: filing, revising, listing and escalating proposals.

Proposals are idempotent by id and carry the sha256 of the exact payload a workflow will
receive; decisions (rules in `store.gate.rules`) are append-only and bound to that hash. Every
proposal, decision and expiry is also written to the hash-chained audit log in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.audit import append_event
from store.db import lock_writes
from store.gate.quorum import governing_council
from store.gate.rules import (
    DecisionOutcome,
    DecisionRefused,
    decide,
    payload_hash,
)
from store.journeys import escalation_council
from store.models import ActionRow, DecisionRow
from store.states import AWAITING_COUNCIL, ActionStatus, Decision

__all__ = [
    "RevisionRefused",
    "decide_and_commit",
    "decisions_for",
    "escalate_overdue",
    "get_action",
    "list_actions",
    "propose_action",
    "revise_action",
]

# Statuses in which a proposal may be edited: waiting for the council, or blocked because
# its stored payload no longer matched the approval (a new version needs a new approval).
_REVISABLE = AWAITING_COUNCIL


class RevisionRefused(Exception):
    """An edit that is not allowed; the message says why."""


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
        status=ActionStatus.PROPOSED,
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
    session: Session, *, status: ActionStatus | None = None, journey_id: str | None = None
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


def decide_and_commit(
    sessions: sessionmaker[Session],
    *,
    action_id: str,
    user: str,
    decision: Decision,
    reason: str,
    now: dt.datetime,
) -> DecisionOutcome:
    """Run `decide` in a transaction of its own; raise DecisionRefused after it ends.

    The refusal is caught inside the transaction so that what the gate records on the way
    (an overdue action becoming `expired`) is committed; any other refusal wrote nothing.
    """
    refused: DecisionRefused | None = None
    with sessions.begin() as session:
        try:
            return decide(
                session, action_id=action_id, user=user, decision=decision, reason=reason, now=now
            )
        except DecisionRefused as exc:
            refused = exc
    raise refused


def decisions_for(session: Session, *, action_id: str) -> list[DecisionRow]:
    """Return every decision recorded on an action, oldest first."""
    query = select(DecisionRow).where(DecisionRow.action_id == action_id).order_by(DecisionRow.id)
    return list(session.execute(query).scalars())


def revise_action(
    session: Session,
    *,
    action_id: str,
    payload: Mapping[str, object],
    by: str,
    now: dt.datetime,
) -> ActionRow:
    """File `payload` as the next version of a waiting proposal; return the updated row.

    Approvals are bound to the old payload's hash, so none of them count for the new
    version; its author (like the original proposer) cannot approve it. Only the proposer
    or a council member with a decision right may edit. Raises RevisionRefused otherwise.
    """
    lock_writes(session)
    query = select(ActionRow).where(ActionRow.id == action_id).with_for_update()
    action = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if action is None:
        raise RevisionRefused(f"no action {action_id!r}")
    if action.status not in _REVISABLE:
        raise RevisionRefused(
            f"action {action_id} is {action.status}; only a waiting or blocked proposal can "
            "be edited (an approved payload is never changed)"
        )
    if now > action.expires_at:
        raise RevisionRefused(f"action {action_id} expired; propose it again")
    if by != action.proposed_by and by not in governing_council(session, action=action).deciders():
        raise RevisionRefused(f"{by} may not edit {action_id}: not its proposer nor a decider")
    clean = json.loads(json.dumps(dict(payload), default=str))
    digest = payload_hash(clean)
    if digest == action.payload_sha256:
        raise RevisionRefused(f"the payload of {action_id} is unchanged; nothing to revise")
    before = (action.version, action.payload_sha256, dict(action.payload))
    action.version, action.payload, action.payload_sha256 = action.version + 1, clean, digest
    action.revised_by, action.version_at, action.updated_at = by, now, now
    action.status = ActionStatus.PROPOSED
    if isinstance(clean.get("title"), str):
        action.title = clean["title"]
    session.flush()
    changed = sorted(k for k in set(before[2]) | set(clean) if before[2].get(k) != clean.get(k))
    append_event(
        session,
        actor=by,
        kind="action.revised",
        subject=action_id,
        data={
            "from_version": before[0],
            "version": action.version,
            "previous_payload_sha256": before[1],
            "payload_sha256": digest,
            "changed_keys": changed,
        },
        now=now,
    )
    return action


def escalate_overdue(
    session: Session, *, now: dt.datetime, after: dt.timedelta, actor: str = "journeyops"
) -> list[tuple[str, str]]:
    """Hand proposals waiting longer than `after` to the council above; return (id, journey).

    The wait counts from the current version (or the last escalation). A proposal whose
    deciding council has none above it stays where it is. Approvals already given keep
    counting if their authors also sit on the new council.
    """
    lock_writes(session)
    waiting = session.execute(
        select(ActionRow).where(ActionRow.status == ActionStatus.PROPOSED).order_by(ActionRow.id)
    ).scalars()
    moved: list[tuple[str, str]] = []
    for action in list(waiting):
        since = max(
            action.escalated_at or action.created_at, action.version_at or action.created_at
        )
        if now - since < after or now > action.expires_at:
            continue
        above = escalation_council(session, journey_id=action.council_journey or action.journey_id)
        if above is None or above.source_journey is None:
            continue
        previous = governing_council(session, action=action).source_journey
        action.council_journey, action.escalated_at = above.source_journey, now
        action.updated_at = now
        session.flush()
        append_event(
            session,
            actor=actor,
            kind="action.escalated",
            subject=action.id,
            data={
                "from_council": previous,
                "to_council": above.source_journey,
                "version": action.version,
                "waited_days": round((now - since).total_seconds() / 86400, 2),
            },
            now=now,
        )
        moved.append((action.id, above.source_journey))
    return moved
