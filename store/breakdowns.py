"""Breakdowns as scans recorded them: the newest scan's, and one by id.

Scans write them (`store.gate.actions.save_breakdown`, beside the proposals filed for them);
the health pages, the action page and the weekly report read them here.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import BreakdownRow

__all__ = ["get_breakdown", "latest_breakdowns"]


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
