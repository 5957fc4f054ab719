"""Minute-level aggregates for the live watch: metric sums per fixed-width time bin.

A bin is `floor(epoch seconds / (minutes × 60))`, an integer every SQL warehouse computes
the same way, so hour-of-week baselines and the recent window share one time grid. One
query returns the stage totals and every single-dimension segment (GROUPING SETS), and
it reads only the rows of the requested time range (the `day` bound lets DuckDB skip row
groups and PostgreSQL use its (journey, stage, day) index), so a watch cycle costs what
the recent window holds, not what history holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Double,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.sql import ColumnElement, TableClause

from store.catalog import MetricDef
from store.warehouse import Warehouse
from store.warehouse._aggregates import NONE, events_table
from store.warehouse._metric_sql import metric_available, term_sum, term_sum_squares

__all__ = ["TOTAL", "bin_of", "binned_leaf_cells", "binned_series"]

# `dim` and `value` of the stage-total rows.
TOTAL = ""


def bin_of(ts: dt.datetime, minutes: int) -> int:
    """Return the bin index of a time (naive = UTC), as the SQL below computes it."""
    aware = ts if ts.tzinfo is not None else ts.replace(tzinfo=dt.UTC)
    return int(aware.timestamp() // (minutes * 60))


def _bin(t: TableClause, minutes: int) -> ColumnElement[int]:
    seconds: ColumnElement[float] = cast(func.extract("epoch", t.c.ts), Double())
    return cast(func.floor(seconds / (minutes * 60)), BigInteger()).label("bin")


def _in_range(t: TableClause, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    naive_start, naive_end = _naive(start), _naive(end)
    return and_(
        t.c.day >= naive_start.date(),
        t.c.day <= naive_end.date(),
        t.c.ts >= naive_start,
        t.c.ts < naive_end,
    )


def _naive(ts: dt.datetime) -> dt.datetime:
    return ts.astimezone(dt.UTC).replace(tzinfo=None) if ts.tzinfo is not None else ts


def binned_series(
    wh: Warehouse,
    *,
    metrics: Sequence[MetricDef],
    dims: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    minutes: int,
) -> pd.DataFrame:
    """Return metric sums per journey, stage, segment and bin for ts in [start, end).

    Columns: journey, stage, dim, value, bin, visits and `{metric}__num`, `__num2`,
    `__den` for every metric whose columns are present. Stage totals have dim = value = "".
    """
    columns = wh.columns()
    t = events_table(columns)
    present = set(columns)
    exprs = {d: func.coalesce(cast(t.c[d], String()), literal(NONE)) for d in dims if d in t.c}
    sums: list[ColumnElement[Any]] = [func.count().label("visits")]
    for m in metrics:
        if metric_available(m, present):
            sums += [
                term_sum(m.numerator, t).label(f"{m.name}__num"),
                term_sum_squares(m.numerator, t).label(f"{m.name}__num2"),
                term_sum(m.denominator, t).label(f"{m.name}__den"),
            ]
    bin_col = _bin(t, minutes)
    labels = [f"d__{d}" for d in exprs]
    cols = [t.c.journey, t.c.stage, bin_col, *(e.label(f"d__{d}") for d, e in exprs.items())]
    group: list[Any] = [t.c.journey, t.c.stage, bin_col]
    if exprs:
        group.append(func.grouping_sets(tuple_(), *exprs.values()))
    query = select(*cols, *sums).where(_in_range(t, start, end)).group_by(*group)
    with wh.reading() as conn:
        rows = conn.execute(query).all()
    wide = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[*map(str, (c.name for c in cols)), *(str(s.name) for s in sums)],
    )
    return _long(wide, list(exprs), labels)


def _long(wide: pd.DataFrame, dims: list[str], labels: list[str]) -> pd.DataFrame:
    wide["bin"] = wide["bin"].astype("int64")
    wide["visits"] = wide["visits"].astype("int64")
    for name in wide.columns:
        if name.endswith(("__num", "__num2", "__den")):
            wide[name] = wide[name].astype("float64")
    if not dims:
        wide["dim"], wide["value"] = TOTAL, TOTAL
        return wide
    parts = []
    total = wide[wide[labels].isna().all(axis=1)].copy()
    total["dim"], total["value"] = TOTAL, TOTAL
    parts.append(total.drop(columns=labels))
    for d, label in zip(dims, labels, strict=True):
        part = wide[wide[label].notna()].copy()
        part["dim"], part["value"] = d, part[label].astype(str)
        parts.append(part.drop(columns=labels))
    return pd.concat(parts, ignore_index=True)


def binned_leaf_cells(
    wh: Warehouse,
    *,
    journey: str,
    stage: str,
    metric: MetricDef,
    dims: Sequence[str],
    periods: Mapping[str, Sequence[tuple[dt.datetime, dt.datetime]]],
) -> pd.DataFrame:
    """Return visits, num, den and missing (0) per period and combination of dimensions.

    Periods are lists of [start, end) time spans, so an hour-level window and the same
    hours of earlier weeks can be compared (the shape of `Warehouse.leaf_cells`).
    """
    out_cols = ["period", *dims, "visits", "num", "den", "missing"]
    t = events_table(wh.columns())
    spans = [(label, s, e) for label, ranges in periods.items() for s, e in ranges]
    if not spans:
        return pd.DataFrame(columns=out_cols)
    period = case(
        *((_in_range(t, s, e), literal(label)) for label, s, e in spans),
        else_=literal(None, String()),
    ).label("period")
    dim_cols = [func.coalesce(cast(t.c[d], String()), literal(NONE)).label(d) for d in dims]
    query = (
        select(
            period,
            *dim_cols,
            func.count().label("visits"),
            term_sum(metric.numerator, t).label("num"),
            term_sum(metric.denominator, t).label("den"),
            literal(0).label("missing"),
        )
        .where(
            t.c.journey == journey,
            t.c.stage == stage,
            or_(*(_in_range(t, s, e) for _, s, e in spans)),
        )
        .group_by(period, *dim_cols)
    )
    with wh.reading() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=out_cols)
    frame["visits"] = frame["visits"].astype("int64")
    for name in ("num", "den"):
        frame[name] = frame[name].astype("float64")
    frame["missing"] = frame["missing"].astype("int64")
    return frame
