"""The cached hour-of-week baselines: replaced once a day, read every watch cycle."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from store.db import lock_writes
from store.live.models import LiveBaselineRow

__all__ = ["BASELINE_FIELDS", "baseline_day", "read_baselines", "replace_baselines"]

BASELINE_FIELDS = [
    "series",
    "journey",
    "stage",
    "metric",
    "dim",
    "value",
    "how",
    "weeks",
    "den",
    "num",
    "num2",
    "phi",
    "share",
]


def baseline_day(session: Session) -> dt.date | None:
    """Return the day the stored baselines were computed for, or None when there are none."""
    value = session.execute(select(func.max(LiveBaselineRow.computed_for))).scalar()
    return value if isinstance(value, dt.date) else None


def replace_baselines(session: Session, *, computed_for: dt.date, frame: pd.DataFrame) -> int:
    """Replace every stored baseline row with `frame`'s (BASELINE_FIELDS); return the count."""
    lock_writes(session)
    session.execute(delete(LiveBaselineRow))
    rows = [
        {**row, "computed_for": computed_for}
        for row in frame[BASELINE_FIELDS].to_dict(orient="records")
    ]
    if rows:
        session.execute(insert(LiveBaselineRow), rows)
    return len(rows)


def read_baselines(session: Session) -> pd.DataFrame:
    """Return every stored baseline row (columns BASELINE_FIELDS)."""
    cols = [getattr(LiveBaselineRow, f) for f in BASELINE_FIELDS]
    rows = session.execute(select(*cols)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=BASELINE_FIELDS)
