"""Append-only, keyed hash-chained audit log: any edit, deletion or reordering is detectable.

Each event's hash is HMAC-SHA256(audit key, previous hash + canonical JSON of its seq, ts,
actor, kind, subject and data), starting from 64 zeros; without a key (`UNKEYED`) it is
plain sha256 of the same text. Someone who can write the database but lacks the key can
neither edit an event and recompute the later hashes nor append one that verifies.
Dropping events from the end leaves a valid shorter chain; the anchor file (see
`store.audit_keys`) catches that, and so does a `chain_head` kept elsewhere and passed back
to `verify_chain` as `known_head`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.audit_keys import AuditKeying, keying_of, note_new_head, read_anchor
from store.db import lock_writes
from store.models import ActionRow, AuditEvent, OutboxRow, OutcomeRow

GENESIS = "0" * 64


class AuditVerification(BaseModel):
    """The result of walking the chain from its first event."""

    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: str = ""
    keyed: bool = False
    anchored: bool = False


def _digest(
    keying: AuditKeying,
    prev: str,
    seq: int,
    ts: dt.datetime,
    actor: str,
    kind: str,
    subject: str,
    data: object,
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
    message = (prev + body).encode("utf-8")
    if keying.key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(keying.key, message, hashlib.sha256).hexdigest()


def is_authentic(session: Session, event: AuditEvent) -> bool:
    """Return whether one event's hash matches its content, its link and the audit key."""
    expected = _digest(
        keying_of(session),
        event.prev_hash,
        event.seq,
        event.ts,
        event.actor,
        event.kind,
        event.subject,
        event.data,
    )
    return hmac.compare_digest(expected, event.hash)


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
    digest = _digest(keying_of(session), prev, seq, now, actor, kind, subject, payload)
    event = AuditEvent(
        seq=seq,
        ts=now,
        actor=actor,
        kind=kind,
        subject=subject,
        data=payload,
        prev_hash=prev,
        hash=digest,
    )
    session.add(event)
    session.flush()
    note_new_head(session, seq=seq, digest=digest)
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

    With `known_head` (an earlier `chain_head`), and always with the anchor file when the
    session's keying names one, also report a chain that no longer contains that event
    unchanged, i.e. events cut from its end.
    """
    keying = keying_of(session)
    anchored = read_anchor(keying.anchor) if keying.anchor is not None else None
    checks = [h for h in (known_head, anchored) if h is not None]
    known_seq, known_hash = max(checks) if checks else (0, GENESIS)
    source = "anchor" if anchored is not None and (known_seq, known_hash) == anchored else "known"
    flags = {"keyed": keying.keyed, "anchored": anchored is not None}
    prev, expected_seq, count = GENESIS, 1, 0
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
                **flags,
            )
        if ev.prev_hash != prev:
            return AuditVerification(
                ok=False,
                events=count,
                first_bad_seq=ev.seq,
                problem="previous-hash link broken (deleted or reordered event)",
                **flags,
            )
        if not is_authentic(session, ev):
            return AuditVerification(
                ok=False,
                events=count,
                first_bad_seq=ev.seq,
                problem="event content does not match its hash (edited, or forged without the key)",
                **flags,
            )
        prev, expected_seq = ev.hash, expected_seq + 1
        found_known = found_known or (ev.seq == known_seq and ev.hash == known_hash)
    if not found_known:
        return AuditVerification(
            ok=False,
            events=count,
            first_bad_seq=min(known_seq, count + 1),
            problem=f"{source} head event {known_seq} is missing or changed (chain truncated)",
            **flags,
        )
    return AuditVerification(ok=True, events=count, **flags)


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
