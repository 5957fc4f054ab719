"""Breakdowns as scans recorded them: saved once by id, read by id or as the newest scan's.

Scans save them beside the proposals filed for them; the health pages, the action page
and the weekly report read them here.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.db import lock_writes
from store.findings import Breakdown
from store.models import BreakdownRow

__all__ = ["get_breakdown", "latest_breakdowns", "latest_findings", "save_breakdown"]


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


def get_breakdown(session: Session, *, breakdown_id: str) -> BreakdownRow | None:
    """Return one recorded breakdown or None."""
    return session.get(BreakdownRow, breakdown_id)


def latest_breakdowns(session: Session) -> list[BreakdownRow]:
    """Return the breakdowns of the newest scan (by `as_of`), most money at stake first."""
    newest = select(func.max(BreakdownRow.as_of)).scalar_subquery()
    query = (
        select(BreakdownRow)
        .where(BreakdownRow.as_of == newest)
        .order_by(BreakdownRow.impact_per_week.desc())
    )
    return list(session.execute(query).scalars())


def latest_findings(session: Session) -> list[Breakdown]:
    """Return the newest scan's breakdowns as findings (see `latest_breakdowns`)."""
    return [Breakdown.model_validate(r.payload) for r in latest_breakdowns(session)]
