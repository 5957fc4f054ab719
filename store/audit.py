"""Append-only, hash-chained audit log: any edit, deletion or reordering is detectable.

Each event's hash is sha256(previous hash + canonical JSON of its seq, ts, actor, kind,
subject and data), starting from 64 zeros. Dropping events from the end of the chain
leaves a valid shorter chain; to catch that, keep `chain_head` somewhere else (a report,
a ticket) and pass it back to `verify_chain` as `known_head`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.db import lock_writes
from store.models import ActionRow, AuditEvent, OutboxRow, OutcomeRow

GENESIS = "0" * 64


class AuditVerification(BaseModel):
    """The result of walking the chain from its first event."""

    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: str = ""


def _digest(
    prev: str, seq: int, ts: dt.datetime, actor: str, kind: str, subject: str, data: object
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "ts": ts.astimezone(dt.UTC).isoformat(),
            "actor": actor,
            "kind": kind,
            "subject": subject,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


def append_event(
    session: Session,
    *,
    actor: str,
    kind: str,
    subject: str,
    data: Mapping[str, object],
    now: dt.datetime,
) -> AuditEvent:
    """Append one event chained to the previous one (within the caller's transaction)."""
    lock_writes(session)
    last = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one_or_none()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    payload = json.loads(json.dumps(dict(data), default=str))
    event = AuditEvent(
        seq=seq,
        ts=now,
        actor=actor,
        kind=kind,
        subject=subject,
        data=payload,
        prev_hash=prev,
        hash=_digest(prev, seq, now, actor, kind, subject, payload),
    )
    session.add(event)
    session.flush()
    return event


def chain_head(session: Session) -> tuple[int, str]:
    """Return the last sequence number and hash (0 and the genesis hash when empty)."""
    last = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one_or_none()
    return (last.seq, last.hash) if last else (0, GENESIS)


def verify_chain(
    session: Session, *, known_head: tuple[int, str] | None = None
) -> AuditVerification:
    """Walk the chain in order; report the first event that does not fit.

    With `known_head` (an earlier `chain_head`), also report a chain that no longer
    contains that event unchanged, i.e. events cut from its end.
    """
    prev, expected_seq, count = GENESIS, 1, 0
    known_seq, known_hash = known_head or (0, GENESIS)
    found_known = known_seq == 0
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    for ev in session.execute(query).scalars():
        count += 1
        if ev.seq != expected_seq:
            return AuditVerification(
                ok=False,
                events=count,
                first_bad_seq=ev.seq,
                problem=f"sequence gap: expected {expected_seq}, found {ev.seq}",
            )
        if ev.prev_hash != prev:
            return AuditVerification(
                ok=False,
                events=count,
                first_bad_seq=ev.seq,
                problem="previous-hash link broken (deleted or reordered event)",
            )
        if _digest(prev, ev.seq, ev.ts, ev.actor, ev.kind, ev.subject, ev.data) != ev.hash:
            return AuditVerification(
                ok=False,
                events=count,
                first_bad_seq=ev.seq,
                problem="event content does not match its hash (edited)",
            )
        prev, expected_seq = ev.hash, expected_seq + 1
        found_known = found_known or (ev.seq == known_seq and ev.hash == known_hash)
    if not found_known:
        return AuditVerification(
            ok=False,
            events=count,
            first_bad_seq=min(known_seq, count + 1),
            problem=f"known head event {known_seq} is missing or changed (chain truncated)",
        )
    return AuditVerification(ok=True, events=count)


def events_for(session: Session, *, subject: str) -> list[AuditEvent]:
    """Return every audit event about one subject, oldest first."""
    query = select(AuditEvent).where(AuditEvent.subject == subject).order_by(AuditEvent.seq)
    return list(session.execute(query).scalars())


def recent_events(session: Session, *, subject: str = "", limit: int = 200) -> list[AuditEvent]:
    """Return the newest audit events, newest first (only those about `subject`, if given)."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if subject:
        query = query.where(AuditEvent.subject == subject)
    return list(session.execute(query).scalars())


def count_events(session: Session) -> int:
    """Return how many audit events exist."""
    return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


class StoryEvent(BaseModel):
    """One audit event in an action's story."""

    seq: int
    ts: dt.datetime
    actor: str
    kind: str
    data: dict[str, object]


class ActionStory(BaseModel):
    """An action's whole story: the row, every audit event, its deliveries and outcome."""

    action: dict[str, object]
    events: list[StoryEvent]
    deliveries: list[dict[str, object]]
    outcome: dict[str, object] | None


def action_story(session: Session, *, action_id: str) -> ActionStory | None:
    """Return the proposal, decisions, dispatch attempts, responses and outcome of an action."""
    action = session.get(ActionRow, action_id)
    if action is None:
        return None
    events = [
        StoryEvent(seq=e.seq, ts=e.ts, actor=e.actor, kind=e.kind, data=dict(e.data))
        for e in events_for(session, subject=action_id)
    ]
    rows = session.execute(
        select(OutboxRow).where(OutboxRow.action_id == action_id).order_by(OutboxRow.id)
    ).scalars()
    outcome = session.get(OutcomeRow, action_id)
    return ActionStory(
        action=_columns(action),
        events=events,
        deliveries=[_columns(r) for r in rows],
        outcome=_columns(outcome) if outcome is not None else None,
    )


def _columns(row: ActionRow | OutboxRow | OutcomeRow) -> dict[str, object]:
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
    plain: dict[str, object] = json.loads(json.dumps(values, default=str))
    return plain
