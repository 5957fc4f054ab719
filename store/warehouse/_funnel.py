"""Infer the funnel order of stages from event data (for journeys no file declared)."""

from __future__ import annotations

from sqlalchemy import Connection, and_, extract, func, select
from sqlalchemy.sql import FromClause


def funnel_order(conn: Connection, src: FromClause) -> dict[str, list[str]]:
    """Return journey -> stages ordered by the median time from journey entry to stage entry.

    For every customer, the offset of a stage is its first entry time minus the
    customer's first entry time in the journey; stages sort by the median offset, ties
    by visits (descending), then by name so the order is stable.
    """
    c = src.c
    per_stage = (
        select(
            c.journey, c.stage, c.customer_id, func.min(c.ts).label("t"), func.count().label("n")
        )
        .group_by(c.journey, c.stage, c.customer_id)
        .subquery("per_stage")
    )
    per_journey = (
        select(c.journey, c.customer_id, func.min(c.ts).label("t0"))
        .group_by(c.journey, c.customer_id)
        .subquery("per_journey")
    )
    offset = extract("epoch", per_stage.c.t - per_journey.c.t0)
    query = (
        select(
            per_stage.c.journey,
            per_stage.c.stage,
            func.percentile_cont(0.5).within_group(offset).label("median_offset"),
            func.sum(per_stage.c.n).label("visits"),
        )
        .select_from(
            per_stage.join(
                per_journey,
                and_(
                    per_stage.c.journey == per_journey.c.journey,
                    per_stage.c.customer_id == per_journey.c.customer_id,
                ),
            )
        )
        .group_by(per_stage.c.journey, per_stage.c.stage)
    )
    rows = sorted(
        conn.execute(query).all(),
        key=lambda r: (r.journey, float(r.median_offset), -int(r.visits), r.stage),
    )
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(str(r.journey), []).append(str(r.stage))
    return out
