"""Developing incidents: at most one open per journey, stage and metric, updated in place."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.db import lock_writes
from store.live.models import OPEN_STATUSES, DevelopingIncidentRow

__all__ = [
    "developing_id",
    "get_developing",
    "last_closed",
    "list_developing",
    "open_developing",
    "save_developing",
]


def developing_id(journey: str, stage: str, metric: str, onset: dt.datetime) -> str:
    """Return the stable id of the incident that started at `onset` on a series."""
    key = f"{journey}|{stage}|{metric}|{onset.astimezone(dt.UTC).isoformat()}"
    return "dev-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def open_developing(session: Session) -> dict[tuple[str, str, str], DevelopingIncidentRow]:
    """Return the open incidents by (journey, stage, metric)."""
    rows = session.execute(
        select(DevelopingIncidentRow).where(DevelopingIncidentRow.status.in_(OPEN_STATUSES))
    ).scalars()
    return {(r.journey, r.stage, r.metric): r for r in rows}


def last_closed(session: Session) -> dict[tuple[str, str, str], dt.datetime]:
    """Return when the newest resolved incident of each (journey, stage, metric) closed."""
    t = DevelopingIncidentRow
    rows = session.execute(
        select(t.journey, t.stage, t.metric, func.max(t.resolved_at))
        .where(t.status == "resolved")
        .group_by(t.journey, t.stage, t.metric)
    ).all()
    out: dict[tuple[str, str, str], dt.datetime] = {}
    for journey, stage, metric, closed in rows:
        if closed is not None:
            aware = closed if closed.tzinfo else closed.replace(tzinfo=dt.UTC)
            out[(journey, stage, metric)] = aware
    return out


def save_developing(
    session: Session, *, incident_id: str, fields: Mapping[str, object]
) -> DevelopingIncidentRow:
    """Insert the incident, or update the stored one in place with `fields`."""
    lock_writes(session)
    row = session.get(DevelopingIncidentRow, incident_id)
    if row is None:
        row = DevelopingIncidentRow(id=incident_id, **fields)
        session.add(row)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
    session.flush()
    return row


def get_developing(session: Session, *, incident_id: str) -> DevelopingIncidentRow | None:
    """Return one incident or None."""
    return session.get(DevelopingIncidentRow, incident_id)


def list_developing(
    session: Session, *, since: dt.datetime, journey: str | None = None
) -> list[DevelopingIncidentRow]:
    """Return the open incidents and those resolved since `since`, newest onset first."""
    t = DevelopingIncidentRow
    query = select(t).where(or_(t.status.in_(OPEN_STATUSES), t.resolved_at >= since))
    if journey is not None:
        query = query.where(t.journey == journey)
    return list(session.execute(query.order_by(t.onset_at.desc())).scalars())
