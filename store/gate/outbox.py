"""The outbox of approved actions: leasing due deliveries and recording their results.

The store's part of a delivery, and never the sending: `tools.workflows` sends, and
`agent.actions.dispatch` runs each pass (lease here, send there, record here).

The gate writes an outbox row in the transaction of the approving decision. A dispatcher
claims due rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the store's write lock),
re-checks the approval against the payload hash and the audit chain's vouching in the same
transaction, and leases the row so that a second dispatcher skips it. Leases are short and
per row; the holder `renew`s its lease while it sends. The HTTP call happens outside any
transaction; its attempts and the result are recorded afterwards, only by the holder of
the lease. A lease that runs out (a crashed dispatcher) makes the row due again within
seconds; the receiver's idempotency key absorbs the resend.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from store.audit import append_event
from store.db import lock_writes, pg_writer_lock
from store.gate.evidence import delivery_problem
from store.gate.quorum import progress_for
from store.gate.rules import approval_problem
from store.models import ActionRow, OutboxRow
from store.states import ActionStatus, DeliveryStatus

__all__ = [
    "DISPATCHER",
    "AttemptRecord",
    "Claim",
    "claim_due",
    "finish",
    "latest_outbox",
    "outbox_for",
    "renew",
]

DISPATCHER = "journeyops-dispatcher"
# A row re-claimed after this many runs whose dispatcher never reported is dead-lettered.
MAX_RUNS = 3


class Claim(BaseModel):
    """One leased delivery: exactly the payload whose hash the council approved."""

    outbox_id: int
    action_id: str
    action_version: int
    target: str
    payload: dict[str, object]
    payload_sha256: str
    token: str
    run: int


class AttemptRecord(BaseModel):
    """One HTTP attempt as the audit log records it."""

    number: int
    status_code: int | None
    response_excerpt: str
    elapsed_s: float


def claim_due(
    session: Session,
    *,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int = 20,
    action_id: str | None = None,
    closed: list[str] | None = None,
) -> list[Claim]:
    """Lease up to `limit` due outbox rows (of one action, if given) whose approval holds.

    Rows whose approval no longer holds, or that the audit chain does not vouch for, are
    marked `refused` (their action `blocked`) and rows re-claimed too often are
    dead-lettered, both with an audit event; their action ids are appended to `closed`.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        lock_writes(session)
    due = or_(
        and_(OutboxRow.status == DeliveryStatus.PENDING, OutboxRow.next_attempt_at <= now),
        and_(OutboxRow.status == DeliveryStatus.SENDING, OutboxRow.lease_until < now),
    )
    query = select(OutboxRow).where(due).order_by(OutboxRow.id).limit(limit)
    if action_id is not None:
        query = query.where(OutboxRow.action_id == action_id)
    if postgres:
        query = query.with_for_update(skip_locked=True)
    rows = list(session.execute(query.execution_options(populate_existing=True)).scalars())
    claims: list[Claim] = []
    for row in rows:
        # Skip, never wait: a decider holds the writer lock and then waits for this row.
        action = session.execute(
            select(ActionRow)
            .where(ActionRow.id == row.action_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if action is None:
            continue
        problem = approval_problem(
            session, action=action, version=row.action_version, payload_sha256=row.payload_sha256
        ) or _unvouched(session, row=row, action=action)
        status = DeliveryStatus.REFUSED
        if problem is None and row.runs >= MAX_RUNS:
            status, problem = (
                DeliveryStatus.DEAD,
                f"{row.runs} dispatch runs never reported back; giving up",
            )
        if problem is not None:
            if _try_lock_writes(session, postgres=postgres):
                _close(session, row=row, action=action, status=status, error=problem, now=now)
                if closed is not None:
                    closed.append(action.id)
            continue
        token = uuid.uuid4().hex
        row.status, row.claimed_by, row.lease_until = DeliveryStatus.SENDING, token, now + lease
        row.runs, row.updated_at = row.runs + 1, now
        claims.append(
            Claim(
                outbox_id=row.id,
                action_id=action.id,
                action_version=row.action_version,
                target=row.target,
                payload=dict(action.payload),
                payload_sha256=row.payload_sha256,
                token=token,
                run=row.runs,
            )
        )
    session.flush()
    return claims


def renew(session: Session, *, claim: Claim, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Extend a held lease to `now + lease`; return False if the lease was lost meanwhile."""
    result = session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == claim.outbox_id,
            OutboxRow.status == DeliveryStatus.SENDING,
            OutboxRow.claimed_by == claim.token,
        )
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def finish(
    session: Session,
    *,
    claim: Claim,
    attempts: Sequence[AttemptRecord],
    delivered: bool,
    status_code: int | None,
    external_id: str | None,
    error: str,
    now: dt.datetime,
) -> bool:
    """Record a claimed delivery's attempts and result; return whether the lease still held.

    A delivered action becomes `dispatched`; a failed one is dead-lettered (`dead` row,
    `dead_lettered` action) for a person to redrive. Attempts are recorded either way.
    """
    lock_writes(session)
    for a in attempts:
        append_event(
            session,
            actor=DISPATCHER,
            kind="dispatch.attempt",
            subject=claim.action_id,
            data={"target": claim.target, "run": claim.run, **a.model_dump()},
            now=now,
        )
    status = DeliveryStatus.DELIVERED if delivered else DeliveryStatus.DEAD
    owned = _rowcount(
        session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == claim.outbox_id,
                OutboxRow.status == DeliveryStatus.SENDING,
                OutboxRow.claimed_by == claim.token,
            )
            .values(
                status=status,
                lease_until=None,
                status_code=status_code,
                external_id=external_id,
                last_error=error,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if not owned:
        return False
    set_action_status(
        session,
        action_id=claim.action_id,
        status=ActionStatus.DISPATCHED if delivered else ActionStatus.DEAD_LETTERED,
        now=now,
    )
    append_event(
        session,
        actor=DISPATCHER,
        kind="dispatch.delivered" if delivered else "dispatch.dead_lettered",
        subject=claim.action_id,
        data={
            "target": claim.target,
            "version": claim.action_version,
            "payload_sha256": claim.payload_sha256,
            "attempts": len(attempts),
            "status_code": status_code,
            "external_id": external_id,
            "error": error,
        },
        now=now,
    )
    return True


def outbox_for(session: Session, *, action_id: str) -> list[OutboxRow]:
    """Return every outbox row of an action, oldest first."""
    query = select(OutboxRow).where(OutboxRow.action_id == action_id).order_by(OutboxRow.id)
    return list(session.execute(query).scalars())


def latest_outbox(session: Session, *, action_id: str) -> OutboxRow | None:
    """Return the newest outbox row of an action, or None."""
    rows = outbox_for(session, action_id=action_id)
    return rows[-1] if rows else None


def _close(
    session: Session,
    *,
    row: OutboxRow,
    action: ActionRow,
    status: DeliveryStatus,
    error: str,
    now: dt.datetime,
) -> None:
    """End a row without sending: refused (approval gone) or dead (never reported)."""
    row.status, row.last_error, row.updated_at = status, error, now
    row.claimed_by, row.lease_until = None, None
    if action.status == ActionStatus.APPROVED:
        refused = status == DeliveryStatus.REFUSED
        action.status = ActionStatus.BLOCKED if refused else ActionStatus.DEAD_LETTERED
        action.updated_at = now
    session.flush()
    append_event(
        session,
        actor=DISPATCHER,
        kind="dispatch.refused" if status == DeliveryStatus.REFUSED else "dispatch.dead_lettered",
        subject=action.id,
        data={"target": row.target, "version": row.action_version, "error": error},
        now=now,
    )


def _unvouched(session: Session, *, row: OutboxRow, action: ActionRow) -> str | None:
    progress = progress_for(session, action=action)
    return delivery_problem(
        session, row=row, action=action, approvers=progress.approvers, quorum=progress.quorum
    )


def _try_lock_writes(session: Session, *, postgres: bool) -> bool:
    """Take the writer lock without waiting (this transaction already holds row locks)."""
    if not postgres:
        return True  # claim_due took SQLite's write lock first
    return pg_writer_lock(session, wait=False)


def set_action_status(
    session: Session, *, action_id: str, status: ActionStatus, now: dt.datetime
) -> None:
    action = session.get(ActionRow, action_id, populate_existing=True)
    assert action is not None
    action.status, action.updated_at = status, now
    session.flush()


def _rowcount(result: object) -> int:
    return int(cast("CursorResult[Any]", result).rowcount)
