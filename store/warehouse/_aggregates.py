"""Pushed-down aggregations over the events table, in portable SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Double,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.sql import ColumnElement, TableClause

from store.catalog import MetricDef
from store.warehouse._metric_sql import metric_available, term_sum, term_sum_squares
from store.warehouse._schema import events_clause

NONE = "(none)"


def events_table(columns: Iterable[str]) -> TableClause:
    """Return the typed events table clause over the columns present."""
    return events_clause(columns)


def _frame(conn: Connection, query: object, columns: list[str]) -> pd.DataFrame:
    result = conn.execute(query)  # type: ignore[call-overload]
    return pd.DataFrame([tuple(r) for r in result.all()], columns=columns)


def _scope(
    t: TableClause, *, journey: str | None, stage: str | None, start: date, end: date
) -> ColumnElement[bool]:
    conds = [t.c.day >= start, t.c.day <= end]
    if journey is not None:
        conds.append(t.c.journey == journey)
    if stage is not None:
        conds.append(t.c.stage == stage)
    return and_(*conds)


def date_range(
    conn: Connection, t: TableClause, *, until: date | None = None
) -> tuple[date, date] | None:
    """Return (first day, last day) or None when there are no events (up to `until`)."""
    query = select(func.min(t.c.day), func.max(t.c.day))
    if until is not None:
        query = query.where(t.c.day <= until)
    row = conn.execute(query).one()
    if row[0] is None:
        return None
    return (_as_date(row[0]), _as_date(row[1]))


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value if type(value) is date else date(value.year, value.month, value.day)
    return date.fromisoformat(str(value)[:10])


def daily_series(
    conn: Connection,
    t: TableClause,
    *,
    metrics: Sequence[MetricDef],
    start: date,
    end: date,
    journey: str | None,
    stage: str | None,
    segment: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return visits and per-metric sums per journey, stage and day (of one segment)."""
    present = set(t.c.keys())
    cols: list[ColumnElement[Any]] = [
        t.c.journey,
        t.c.stage,
        t.c.day,
        func.count().label("visits"),
    ]
    for m in metrics:
        if not metric_available(m, present):
            continue
        cols += [
            term_sum(m.numerator, t).label(f"{m.name}__num"),
            term_sum_squares(m.numerator, t).label(f"{m.name}__num2"),
            term_sum(m.denominator, t).label(f"{m.name}__den"),
        ]
    scope = _scope(t, journey=journey, stage=stage, start=start, end=end)
    conds = [_dim(t, name) == value for name, value in (segment or {}).items()]
    query = (
        select(*cols)
        .where(and_(scope, *conds))
        .group_by(t.c.journey, t.c.stage, t.c.day)
        .order_by(t.c.journey, t.c.stage, t.c.day)
    )
    frame = _frame(conn, query, [str(c.name) for c in cols])
    frame["day"] = [_as_date(d) for d in frame["day"]]
    frame["visits"] = frame["visits"].astype("int64")
    for name in frame.columns[4:]:
        frame[name] = frame[name].astype("float64")
    return frame


def _dim(t: TableClause, name: str) -> ColumnElement[str]:
    if name not in t.c:
        raise ValueError(f"unknown dimension {name!r}: not a column of the events table")
    return func.coalesce(cast(t.c[name], String()), literal(NONE)).label(name)


def leaf_cells(
    conn: Connection,
    t: TableClause,
    *,
    journey: str,
    stage: str,
    metric: MetricDef,
    dims: Sequence[str],
    periods: Mapping[str, Sequence[date]],
    probe_columns: Sequence[str],
) -> pd.DataFrame:
    """Return visits, num, den and missing per period and combination of dimensions."""
    if not metric_available(metric, t.c.keys()):
        missing = sorted(metric.columns - set(t.c.keys()))
        raise ValueError(f"metric {metric.name!r} needs absent columns {missing}")
    out_cols = ["period", *dims, "visits", "num", "den", "missing"]
    all_days = sorted({d for days in periods.values() for d in days})
    if not all_days:
        return pd.DataFrame(columns=out_cols)
    period = case(
        *((t.c.day.in_(list(days)), literal(label)) for label, days in periods.items() if days),
        else_=literal(None, String()),
    ).label("period")
    dim_cols = [_dim(t, d) for d in dims]
    probes = [t.c[p].is_(None) for p in probe_columns if p in t.c]
    absent_probe = any(p not in t.c for p in probe_columns)
    is_missing = true() if absent_probe else (or_(*probes) if probes else None)
    missing_sum = func.sum(case((is_missing, 1), else_=0)) if is_missing is not None else literal(0)
    query = (
        select(
            period,
            *dim_cols,
            func.count().label("visits"),
            term_sum(metric.numerator, t).label("num"),
            term_sum(metric.denominator, t).label("den"),
            cast(missing_sum, Double()).label("missing"),
        )
        .where(t.c.journey == journey, t.c.stage == stage, t.c.day.in_(all_days))
        .group_by(period, *dim_cols)
        .order_by(period, *dim_cols)
    )
    frame = _frame(conn, query, out_cols)
    frame["visits"] = frame["visits"].astype("int64")
    for name in ("num", "den"):
        frame[name] = frame[name].astype("float64")
    frame["missing"] = frame["missing"].astype("int64")
    return frame


def unit_value(
    conn: Connection,
    t: TableClause,
    *,
    journey: str,
    stage: str,
    column: str,
    start: date,
    end: date,
) -> float | None:
    """Return the mean of a column where present, or None when nothing is present."""
    value = conn.execute(
        select(func.avg(cast(t.c[column], Double()))).where(
            _scope(t, journey=journey, stage=stage, start=start, end=end)
        )
    ).scalar()
    return None if value is None else float(value)


def distinct_counts(
    conn: Connection,
    t: TableClause,
    *,
    journey: str,
    stage: str,
    dims: Sequence[str],
    start: date,
    end: date,
) -> dict[str, int]:
    """Return the number of distinct values of each dimension, "(none)" included."""
    if not dims:
        return {}
    cols = [func.count(func.distinct(_dim(t, d).element)).label(d) for d in dims]
    row = conn.execute(
        select(*cols).where(_scope(t, journey=journey, stage=stage, start=start, end=end))
    ).one()
    return {d: int(v or 0) for d, v in zip(dims, row, strict=True)}


def stage_distinct_counts(
    conn: Connection,
    t: TableClause,
    *,
    stages: Sequence[tuple[str, str]],
    dims: Sequence[str],
    start: date,
    end: date,
) -> dict[tuple[str, str], dict[str, int]]:
    """Return `distinct_counts` of several (journey, stage) pairs in one query."""
    if not dims or not stages:
        return {pair: {} for pair in stages}
    cols = [func.count(func.distinct(_dim(t, d).element)).label(d) for d in dims]
    pairs = or_(*(and_(t.c.journey == j, t.c.stage == s) for j, s in sorted(set(stages))))
    query = (
        select(t.c.journey, t.c.stage, *cols)
        .where(t.c.day >= start, t.c.day <= end, pairs)
        .group_by(t.c.journey, t.c.stage)
    )
    found = {
        (str(r[0]), str(r[1])): {d: int(v or 0) for d, v in zip(dims, r[2:], strict=True)}
        for r in conn.execute(query).all()
    }
    return {pair: found.get(pair, dict.fromkeys(dims, 0)) for pair in stages}


def segment_series(
    conn: Connection,
    t: TableClause,
    *,
    metrics: Sequence[MetricDef],
    dims: Sequence[str],
    start: date,
    end: date,
    totals: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (stage totals, segments): daily metric sums per journey and stage, and per
    single-dimension segment of each stage.

    One pass with GROUPING SETS ((dim1), (dim2), …) under journey, stage and day, plus the
    empty set when `totals` is on (else the totals frame is empty). Segments come long:
    columns journey, stage, day, dim, value, visits and the metric sums; totals are shaped
    like `daily_series`.
    """
    present = set(t.c.keys())
    exprs = {d: func.coalesce(cast(t.c[d], String()), literal(NONE)) for d in dims if d in t.c}
    if not exprs:
        return pd.DataFrame(), pd.DataFrame()
    sums: list[ColumnElement[Any]] = [func.count().label("visits")]
    for m in metrics:
        if metric_available(m, present):
            sums += [
                term_sum(m.numerator, t).label(f"{m.name}__num"),
                term_sum_squares(m.numerator, t).label(f"{m.name}__num2"),
                term_sum(m.denominator, t).label(f"{m.name}__den"),
            ]
    cols = [t.c.journey, t.c.stage, t.c.day, *(e.label(f"d__{d}") for d, e in exprs.items()), *sums]
    sets = [*((tuple_(),) if totals else ()), *exprs.values()]
    query = (
        select(*cols)
        .where(_scope(t, journey=None, stage=None, start=start, end=end))
        .group_by(t.c.journey, t.c.stage, t.c.day, func.grouping_sets(*sets))
    )
    wide = _frame(conn, query, [str(c.name) for c in cols])
    wide["day"] = [_as_date(d) for d in wide["day"]]
    for name in wide.columns:
        if name.endswith(("__num", "__num2", "__den")):
            wide[name] = wide[name].astype("float64")
    labels = [f"d__{d}" for d in exprs]
    parts = []
    for d in exprs:
        part = wide[wide[f"d__{d}"].notna()].copy()
        part["dim"], part["value"] = d, part[f"d__{d}"].astype(str)
        parts.append(part.drop(columns=labels))
    long = pd.concat(parts, ignore_index=True)
    if not totals:
        return pd.DataFrame(), long
    total = wide[wide[labels].isna().all(axis=1)].drop(columns=labels)
    total = total.sort_values(["journey", "stage", "day"], kind="stable").reset_index(drop=True)
    total["visits"] = total["visits"].astype("int64")
    return total, long
