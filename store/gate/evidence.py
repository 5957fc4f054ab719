"""What the keyed audit chain vouches for: the decisions and outbox rows the gate wrote.

The gate writes an audit event with every decision and every outbox row, in the same
transaction. Rows in `decisions` and `outbox` are plain SQL that anyone with write access
to the database can insert or change; the events carry the audit key's HMAC, which such a
person cannot compute. So the dispatcher sends an outbox row only when an authentic
`outbox.queued` event names exactly its action, version, payload hash and target, and
enough of the counted approvers have authentic decision events bound to that payload
(`delivery_problem`); and `verify_store` reports every decision or outbox row that no
authentic event vouches for, besides walking the chain (`store.audit.verify_chain`).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import AuditVerification, events_for, is_authentic, verify_chain
from store.audit_keys import keying_of, read_anchor
from store.models import ActionRow, AuditEvent, DecisionRow, OutboxRow

__all__ = ["QUEUED", "StoreVerification", "delivery_problem", "verify_store"]

QUEUED = "outbox.queued"
_DECISION_KINDS = ("decision.approve", "decision.reject")
# Enough to name what was found without flooding a terminal.
_MAX_REPORTED = 20

_DecisionKey = tuple[str, str, str, int, str]
_OutboxKey = tuple[str, int, str, str]


class StoreVerification(BaseModel):
    """The chain walk and the decision and outbox rows no authentic event vouches for."""

    chain: AuditVerification
    unvouched: list[str]
    unvouched_total: int

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.unvouched_total == 0


def _decision_key(event: AuditEvent) -> _DecisionKey | None:
    data = event.data
    version, digest = data.get("version"), data.get("payload_sha256")
    if not isinstance(version, int) or not isinstance(digest, str):
        return None
    return (event.subject, event.actor, event.kind.removeprefix("decision."), version, digest)


def _outbox_key(event: AuditEvent) -> _OutboxKey | None:
    data = event.data
    version, digest, target = data.get("version"), data.get("payload_sha256"), data.get("target")
    if not isinstance(version, int) or not isinstance(digest, str) or not isinstance(target, str):
        return None
    return (event.subject, version, digest, target)


def _row_key(row: OutboxRow) -> _OutboxKey:
    return (row.action_id, row.action_version, row.payload_sha256, row.target)


def _vouched(
    session: Session, events: Iterable[AuditEvent]
) -> tuple[set[_DecisionKey], set[_OutboxKey]]:
    decisions: set[_DecisionKey] = set()
    queued: set[_OutboxKey] = set()
    for event in events:
        if event.kind in _DECISION_KINDS and is_authentic(session, event):
            key = _decision_key(event)
            if key is not None:
                decisions.add(key)
        elif event.kind == QUEUED and is_authentic(session, event):
            okey = _outbox_key(event)
            if okey is not None:
                queued.add(okey)
    return decisions, queued


def truncation_problem(session: Session) -> str | None:
    """Return why the chain no longer holds its anchored head, or None if it does."""
    anchor = keying_of(session).anchor
    head = read_anchor(anchor) if anchor is not None else None
    if head is None:
        return None
    event = session.get(AuditEvent, head[0])
    if event is None or event.hash != head[1]:
        return f"the audit chain lost its anchored event {head[0]} (newest events deleted)"
    return None


def delivery_problem(
    session: Session, *, row: OutboxRow, action: ActionRow, approvers: list[str], quorum: int
) -> str | None:
    """Return why the audit chain does not vouch for sending `row`, or None if it does.

    `approvers` and `quorum` are the gate's count (`quorum.progress_for`); at least
    `quorum` of those approvers need an authentic decision event on the row's payload.
    """
    truncated = truncation_problem(session)
    if truncated is not None:
        return truncated
    decisions, queued = _vouched(session, events_for(session, subject=action.id))
    if _row_key(row) not in queued:
        return (
            f"outbox row {row.id} of {action.id} is not vouched for by an authentic audit event "
            "(forged, or its target or payload changed)"
        )
    vouched = [
        user
        for user in approvers
        if (action.id, user, "approve", row.action_version, row.payload_sha256) in decisions
    ]
    if len(vouched) < quorum:
        return (
            f"{action.id} has {len(vouched)} approvals vouched for by authentic audit events; "
            f"{quorum} needed (decision rows were forged or changed)"
        )
    return None


def verify_store(
    session: Session, *, known_head: tuple[int, str] | None = None
) -> StoreVerification:
    """Walk the chain and check that authentic events vouch for every decision and outbox row."""
    chain = verify_chain(session, known_head=known_head)
    kinds = (*_DECISION_KINDS, QUEUED)
    query = select(AuditEvent).where(AuditEvent.kind.in_(kinds)).order_by(AuditEvent.seq)
    decisions, queued = _vouched(session, session.execute(query).scalars())
    found: list[str] = []
    for d in session.execute(select(DecisionRow).order_by(DecisionRow.id)).scalars():
        key = (d.action_id, d.user_name, d.decision, d.action_version, d.payload_sha256)
        if key not in decisions:
            found.append(
                f"decision {d.id} ({d.user_name} {d.decision}s {d.action_id} "
                f"v{d.action_version}) has no authentic audit event"
            )
    for o in session.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars():
        if _row_key(o) not in queued:
            found.append(
                f"outbox row {o.id} ({o.action_id} v{o.action_version} to {o.target}) "
                "has no authentic audit event"
            )
    return StoreVerification(
        chain=chain, unvouched=found[:_MAX_REPORTED], unvouched_total=len(found)
    )
