"""Council feedback on incidents: dismissals and snoozes, kept in the hash-chained audit log.

Feedback is about a pattern (journey, cause kind and segment), not one week's incident id,
so a pattern dismissed as expected or as a false alarm is not filed again in later scans;
a snoozed one is not filed until its date passes. Every piece of feedback is an audit event
(`store.audit.append_event`), so who silenced what, and why, is as tamper-evident as a
decision; only members with a decision right on the journey's council may give it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal, get_args

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import append_event
from store.findings import CauseKind
from store.journeys import council_for
from store.models import AuditEvent

__all__ = [
    "Feedback",
    "FeedbackKind",
    "FeedbackRefused",
    "active_feedback",
    "list_feedback",
    "pattern_id",
    "record_feedback",
]

FeedbackKind = Literal["expected", "false_alarm", "snoozed"]
FEEDBACK_KINDS: tuple[str, ...] = get_args(FeedbackKind)
_EVENT = {"expected": "incident.dismissed", "false_alarm": "incident.dismissed"}
_SNOOZED = "incident.snoozed"


class FeedbackRefused(Exception):
    """Feedback that may not be recorded; the message says why."""


class Feedback(BaseModel):
    """One dismissal or snooze as the audit log holds it."""

    pattern: str
    incident_id: str
    journey: str
    kind: CauseKind
    segment: dict[str, str]
    feedback: FeedbackKind
    reason: str
    by: str
    until: dt.date | None = None
    at: dt.datetime


def pattern_id(journey: str, kind: CauseKind, segment: dict[str, str]) -> str:
    """Return the id of an incident's pattern: the same cause in any week."""
    seg = ",".join(f"{k}={v}" for k, v in sorted(segment.items()))
    return "pat-" + hashlib.sha256(f"{journey}|{kind}|{seg}".encode()).hexdigest()[:12]


def record_feedback(
    session: Session,
    *,
    incident_id: str,
    journey: str,
    kind: CauseKind,
    segment: dict[str, str],
    feedback: FeedbackKind,
    reason: str,
    by: str,
    now: dt.datetime,
    until: dt.date | None = None,
) -> Feedback:
    """Record a dismissal or a snooze by a council member with a decision right."""
    if feedback not in FEEDBACK_KINDS:
        raise FeedbackRefused(f"feedback must be one of {', '.join(FEEDBACK_KINDS)}")
    if not reason.strip():
        raise FeedbackRefused("a reason is required")
    if (feedback == "snoozed") != (until is not None):
        raise FeedbackRefused("a snooze needs an end date, and only a snooze has one")
    if until is not None and until <= now.date():
        raise FeedbackRefused(f"snooze end {until} is not in the future")
    council = council_for(session, journey_id=journey)
    if by not in council.deciders():
        raise FeedbackRefused(f"{by} has no decision right on the council of journey {journey}")
    item = Feedback(
        pattern=pattern_id(journey, kind, segment),
        incident_id=incident_id,
        journey=journey,
        kind=kind,
        segment=segment,
        feedback=feedback,
        reason=reason.strip(),
        by=by,
        until=until,
        at=now,
    )
    data = item.model_dump(mode="json", exclude={"pattern", "by", "at"})
    event = _EVENT.get(feedback, _SNOOZED)
    append_event(session, actor=by, kind=event, subject=item.pattern, data=data, now=now)
    return item


def list_feedback(session: Session) -> list[Feedback]:
    """Return every dismissal and snooze, oldest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.kind.in_([*set(_EVENT.values()), _SNOOZED]))
        .order_by(AuditEvent.seq)
    )
    return [
        Feedback.model_validate({**e.data, "pattern": e.subject, "by": e.actor, "at": e.ts})
        for e in session.execute(query).scalars()
    ]


def active_feedback(session: Session, *, on: dt.date) -> dict[str, Feedback]:
    """Return the feedback that silences each pattern on day `on`.

    A dismissal silences its pattern for good; a snooze until its end date. The latest
    dismissal, else the latest running snooze, is the one returned.
    """
    active: dict[str, Feedback] = {}
    for item in list_feedback(session):
        current = active.get(item.pattern)
        dismissed = current is not None and current.until is None
        if item.until is None or (item.until >= on and not dismissed):
            active[item.pattern] = item
    return active
