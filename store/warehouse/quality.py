"""Warehouse reads for the data-quality checks that metric sums cannot answer.

Volumes, measure presence and impossible values come from the ordinary segment series
(`Warehouse.stage_and_segment_series` with probe metrics); this module adds the funnel
check: customers seen at a stage with no record at the stage before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Integer, String, case, cast, func, literal, select, tuple_, values
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import column

from store.warehouse import Warehouse
from store.warehouse._aggregates import NONE, events_table

__all__ = ["funnel_orphans"]


def funnel_orphans(
    warehouse: Warehouse,
    *,
    pairs: Sequence[tuple[str, str, str]],
    dims: Sequence[str],
    start: date,
    end: date,
    lookback_days: int = 2,
) -> pd.DataFrame:
    """Return, per journey, stage, day and single-dimension segment, rows and orphan rows.

    `pairs` are (journey, stage, previous stage) in funnel order. An orphan is a row whose
    customer has no row at the previous stage between `lookback_days` before `start` and
    `end`. Columns: journey, stage, day, dim, value, visits, orphans; the stage total has
    dim and value "".
    """
    if not pairs:
        return pd.DataFrame(
            columns=["journey", "stage", "day", "dim", "value", "visits", "orphans"]
        )
    columns = warehouse.columns()
    t = events_table(columns)
    prev = (
        values(
            column("journey", String()),
            column("stage", String()),
            column("prev", String()),
            name="funnel_pairs",
        )
        .data(list(pairs))
        .alias("p")
    )
    seen = (
        select(t.c.journey, t.c.stage, t.c.customer_id)
        .where(t.c.day >= start - timedelta(days=lookback_days), t.c.day <= end)
        .distinct()
        .subquery("seen")
    )
    exprs = {d: func.coalesce(cast(t.c[d], String()), literal(NONE)) for d in dims if d in t.c}
    orphan: ColumnElement[Any] = case((seen.c.customer_id.is_(None), 1), else_=0)
    cols = [
        t.c.journey,
        t.c.stage,
        t.c.day,
        *(e.label(f"d__{d}") for d, e in exprs.items()),
        func.count().label("visits"),
        func.sum(cast(orphan, Integer())).label("orphans"),
    ]
    query = (
        select(*cols)
        .select_from(
            t.join(prev, (prev.c.journey == t.c.journey) & (prev.c.stage == t.c.stage)).outerjoin(
                seen,
                (seen.c.journey == t.c.journey)
                & (seen.c.stage == prev.c.prev)
                & (seen.c.customer_id == t.c.customer_id),
            )
        )
        .where(t.c.day >= start, t.c.day <= end)
        .group_by(t.c.journey, t.c.stage, t.c.day, func.grouping_sets(tuple_(), *exprs.values()))
    )
    with warehouse.reading() as conn:
        rows = conn.execute(query).all()
    wide = pd.DataFrame([tuple(r) for r in rows], columns=[str(c.name) for c in cols])
    labels = [f"d__{d}" for d in exprs]
    parts = []
    total = wide[wide[labels].isna().all(axis=1)] if labels else wide
    parts.append(total.drop(columns=labels).assign(dim="", value=""))
    for d in exprs:
        part = wide[wide[f"d__{d}"].notna()]
        parts.append(part.drop(columns=labels).assign(dim=d, value=part[f"d__{d}"].astype(str)))
    out = pd.concat(parts, ignore_index=True)
    out["day"] = pd.to_datetime(out["day"]).dt.date
    out["visits"] = out["visits"].astype("int64")
    out["orphans"] = out["orphans"].fillna(0).astype("int64")
    return out
