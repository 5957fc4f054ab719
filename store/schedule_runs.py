"""Scheduler slots: the lease that lets exactly one scheduler run each cron firing.

A slot is a job name and the cron time it fires for. Claiming inserts the slot's row under
the store's writer lock; a second scheduler finds the row and skips the slot, so two
schedulers started at once never scan, propose or send a digest twice for one firing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.db import lock_writes
from store.models import ScheduleRun

__all__ = ["claim_slot", "finish_slot", "recent_runs", "slot_key"]


def slot_key(fire_at: dt.datetime) -> str:
    """Return the canonical text of a cron firing time (UTC, seconds precision)."""
    return fire_at.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def claim_slot(
    session: Session, *, job: str, fire_at: dt.datetime, holder: str, now: dt.datetime
) -> bool:
    """Claim one firing of a job for `holder`; return False when another holder has it."""
    lock_writes(session)
    key = slot_key(fire_at)
    if session.get(ScheduleRun, (job, key)) is not None:
        return False
    session.add(ScheduleRun(job=job, slot=key, holder=holder, started_at=now, summary={}))
    session.flush()
    return True


def finish_slot(
    session: Session,
    *,
    job: str,
    fire_at: dt.datetime,
    summary: Mapping[str, object],
    now: dt.datetime,
) -> None:
    """Record that a claimed firing finished, with a short summary of what it did."""
    lock_writes(session)
    row = session.get(ScheduleRun, (job, slot_key(fire_at)))
    if row is not None:
        row.finished_at, row.summary = now, dict(summary)
        session.flush()


def recent_runs(session: Session, *, limit: int = 50) -> list[ScheduleRun]:
    """Return the newest claimed firings first."""
    query = select(ScheduleRun).order_by(ScheduleRun.started_at.desc()).limit(limit)
    return list(session.execute(query).scalars())
